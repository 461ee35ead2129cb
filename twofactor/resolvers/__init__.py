"""What each field does: one module per area."""

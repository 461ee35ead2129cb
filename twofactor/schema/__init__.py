"""What clients see: strawberry types, inputs, enums, errors and the root schema."""

# The twofactor server: `docker compose up` (compose.yaml) runs it with PostgreSQL, Redis and Mailpit.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY twofactor ./twofactor
RUN pip install --no-cache-dir . -c constraints.txt \
    && useradd --system --home-dir /app twofactor
USER twofactor
# Only a development key would be written here; production takes TWOFACTOR_SECRET_KEY.
ENV TWOFACTOR_DATA_DIR=/tmp PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["twofactor", "serve", "--host", "0.0.0.0", "--port", "8000"]

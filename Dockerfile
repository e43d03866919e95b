FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# WeasyPrint's system libraries (Pango, HarfBuzz) for the PDF report
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY config ./config
COPY patients ./patients
COPY screening ./screening
RUN pip install --no-cache-dir .
COPY . .
RUN DJANGO_DEBUG=1 python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/media && chown app /app/media
USER app
EXPOSE 8000
# settings from the environment (GUNICORN_WORKERS, GUNICORN_TIMEOUT, ...: config/gunicorn.py); never migrates
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]

# The platform's image: the web server, the RQ workers and the management commands all run from it
# (docker-compose.yml). Production settings; everything else comes from the environment (docs/deploy.md).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=deft_site.settings.prod \
    STATIC_ROOT=/app/staticfiles DEFT_VAR_DIR=/data
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs a SECRET_KEY to import the settings, not a real one: the static files do not depend on it.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
RUN useradd --create-home deft && mkdir -p /data && chown deft /data
USER deft
EXPOSE 8000
CMD ["gunicorn", "-c", "deft_site/gunicorn.conf.py", "deft_site.wsgi"]

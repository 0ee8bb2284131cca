# bastion HTTP API: shipped int8 models baked in, non-root, health-checked on /readyz.
#   docker build -t bastion .
#   docker run --rm -p 8000:8000 -v bastion-data:/data bastion
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md hatch_build.py ./
COPY inference ./inference
COPY training ./training
COPY models ./models
# the wheel force-includes models/ as bastion/_models, so the runtime image needs no repo
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin bastion \
    && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir "$(ls /wheels/bastion-*.whl)[api,store]" && rm -rf /wheels
USER 10001:10001
WORKDIR /data
# one place for keys, audit trail and vault (SQLite by default); mount a volume here
ENV BASTION_HOME=/data \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
ENTRYPOINT ["bastion", "serve", "--host", "0.0.0.0", "--port", "8000"]

# qa in a container, installed from the offline bundle with no network during the build
# (docs/deploy.md, "A container image"). The build context is the folder holding the bundle:
#   bash scripts/bundle.sh
#   docker build --network none -t qa:0.1.0 -f Dockerfile dist/
#   docker run -p 7860:7860 -v qa-data:/var/lib/qa qa:0.1.0
# The base image must be on the machine already (docker pull, or docker load on a server with no network).
FROM python:3.11-slim-bookworm

ARG BUNDLE=qa-offline-0.1.0-linux-x86_64-py311
# data_dir: indexes, collections, audit log, model cache; a volume keeps them across image upgrades.
ENV QA_DATA_DIR=/var/lib/qa \
    QA_HOST=0.0.0.0 \
    QA_PORT=7860 \
    XDG_CACHE_HOME=/var/lib/qa/.cache

COPY ${BUNDLE}.tar /tmp/
# install.sh checks the sha256s, installs with pip --no-index from the bundle's wheels, materialises
# the bundled model and builds the seed index into /var/lib/qa, so a container answers at once.
RUN tar -xf /tmp/${BUNDLE}.tar -C /tmp \
    && PYTHON=/usr/local/bin/python3.11 bash /tmp/${BUNDLE}/install.sh /opt/qa \
    && rm -rf /tmp/${BUNDLE} /tmp/${BUNDLE}.tar \
    && useradd --system --home-dir /var/lib/qa --shell /usr/sbin/nologin qa \
    && chown -R qa:qa /var/lib/qa

USER qa
VOLUME /var/lib/qa
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD ["/opt/qa/venv/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/healthz', timeout=4)"]
CMD ["/opt/qa/venv/bin/qa", "serve"]

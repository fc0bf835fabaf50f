# The image every Kubeflow step runs in: Starling installed from the lock file. A project's own
# files need not be baked in: `starling compile` ships them inside the package.
#   docker build -t REGISTRY/starling:TAG . && docker push REGISTRY/starling:TAG
#   starling compile PIPELINE -o p.yaml --image REGISTRY/starling:TAG ...   (README: Kubeflow)
FROM python:3.11-slim
WORKDIR /opt/starling
ENV PYTHONUNBUFFERED=1
COPY requirements.lock requirements-tfx.txt ./
RUN pip install --no-cache-dir "$(grep -E '^uv==' requirements.lock)" \
 && uv pip sync --system --no-cache requirements.lock \
 && uv pip install --system --no-deps --no-cache -r requirements-tfx.txt
COPY . .
RUN uv pip install --system --no-deps --no-cache -e .

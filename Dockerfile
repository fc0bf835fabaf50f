# The image every Kubeflow step runs in: the project installed from the lock file.
#   docker build -t starling:latest .     then: starling compile PIPELINE --image starling:latest
FROM python:3.11-slim
WORKDIR /opt/starling
ENV PYTHONUNBUFFERED=1
COPY requirements.lock requirements-tfx.txt ./
RUN pip install --no-cache-dir "$(grep -E '^uv==' requirements.lock)" \
 && uv pip sync --system --no-cache requirements.lock \
 && uv pip install --system --no-deps --no-cache -r requirements-tfx.txt
COPY . .
RUN uv pip install --system --no-deps --no-cache -e .

# Users build on the official image; the tests pass --build-arg BASE=localhost/pybase,
# a debootstrap'd Debian that has python3 but neither pip nor ensurepip.
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
# Wheels are built on the host (`make image`): the build itself needs no network.
COPY .cache/wheels /wheels
# pip runs straight from its wheel, so the base needs no pip and PEP 668 never applies;
# the venv gets none, keeping the final image free of an installer.
RUN python3 -m venv --without-pip /opt/krmfn \
 && PYTHONPATH=$(echo /wheels/pip-*.whl) /opt/krmfn/bin/python -m pip install --quiet \
      --no-index --no-compile --find-links /wheels krmfn \
 && /opt/krmfn/bin/python -m compileall -q --invalidation-mode unchecked-hash /opt/krmfn

FROM ${BASE}
# Unchecked-hash bytecode stays valid whatever mtimes the copy leaves, so a read-only
# container never recompiles on start.
COPY --from=build /opt/krmfn /opt/krmfn
ENV PATH=/opt/krmfn/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 65532
ENTRYPOINT ["krmfn"]

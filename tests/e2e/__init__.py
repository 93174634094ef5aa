"""End-to-end tests: krmfn driven by the real kustomize, kpt and podman."""

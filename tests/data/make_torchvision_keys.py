"""Write tests/data/torchvision_state_dicts.json: the state-dict keys and shapes of torchvision's
ImageNet models, which scratchnet.models must reproduce exactly.

Run once with torchvision (not a test dependency), in a separate virtual environment:

    python -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /tmp/tvenv/bin/python tests/data/make_torchvision_keys.py

The models are built on the ``meta`` device (shapes only, no weights drawn); GoogLeNet with
``aux_logits=False, transform_input=False, init_weights=False``. Each entry is a list of
``[key, shape]`` pairs in state-dict order.
"""

import json
import pathlib

import torch
import torchvision
from torchvision import models

CONFIGS = {
    "alexnet": {}, "vgg11": {}, "vgg16": {}, "vgg16_bn": {}, "resnet18": {}, "resnet34": {},
    "resnet50": {}, "googlenet": {"aux_logits": False, "transform_input": False, "init_weights": False},
}


def keys_and_shapes(name: str, kwargs: dict) -> list:
    with torch.device("meta"):
        model = getattr(models, name)(weights=None, **kwargs)
    return [[key, list(value.shape)] for key, value in model.state_dict().items()]


def main() -> None:
    table = {"torch": torch.__version__, "torchvision": torchvision.__version__,
             "models": {name: keys_and_shapes(name, kwargs) for name, kwargs in CONFIGS.items()}}
    path = pathlib.Path(__file__).with_name("torchvision_state_dicts.json")
    path.write_text(json.dumps(table, indent=0) + "\n")


if __name__ == "__main__":
    main()

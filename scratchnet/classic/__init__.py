"""The seed tutorial's API ("딥러닝 직접 구현하기"): ``Model``, ``Layers`` and ``Optimizer``, so
that its programs run with only their imports changed::

    from scratchnet.classic import Model, Layers, Optimizer
    model.addlayer(Layers.MulLayer(100)); optimizer = Optimizer.Adam(batch_size=100)
"""

from scratchnet.classic import layers as Layers  # noqa: N812 - the tutorial's module name
from scratchnet.classic import optimizer as Optimizer  # noqa: N812 - the tutorial's module name
from scratchnet.classic.model import Model

__all__ = ["Layers", "Model", "Optimizer"]

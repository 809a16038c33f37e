"""An AC-GAN (auxiliary classifier GAN, Odena, Olah and Shlens 2017) on Fashion-MNIST in PyTorch
style (``scratchnet.nn``, ``optim``): the discriminator also names the class of every image it
sees, and the generator is trained to make images of the class it was asked for; then the project's
own classifier checks that each generated image shows that class.

    python examples/acgan.py [--epochs 10] [--limit N] [--batch-size 128] [--width 32]
                             [--classifier-epochs 2] [--per-class 100] [--out examples/output]

The networks are the DCGAN's (``dcgan.py``, same initialisation and Adam settings): the generator
takes the 64 noise numbers followed by the one-hot class, the discriminator gives 1 + 10 numbers,
a real/fake logit s and 10 class logits k. With S the binary cross-entropy on s and K the
cross-entropy of k against the class c the image was asked for (a real image's own label):

    discriminator: S(real → 1) + S(G(z, c).detach() → 0) + K(real, c) + K(G(z, c), c)
    generator:     S(G(z, c) → 1) + K(G(z, c), c)

Each batch asks the generator for the classes of its real images. The check, as in ``cgan.py``:
``scratchnet.models.bncnn`` trained on the real images classifies 100 fresh generated images per
class after every epoch and at the end. Figures: ``acgan_epoch_K.png`` (one row per class from the
same fixed noise) and ``acgan_losses.png``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from dcgan import LATENT, adam, dcgan_init_, discriminator, generator
from dcgan import samples as dcgan_samples
from example_utils import class_names
from generative_utils import (
    conditional_gan_setup,
    print_recognition,
    recognition,
    save_gan_losses,
    save_grid,
    to_tanh_range,
)

import scratchnet as sn
from scratchnet import data, nn, optim
from scratchnet.nn import functional as F

CLASSES = 10


def conditioned(noise: Any, labels: Any) -> Any:
    """The generator's input: ``noise (N, 64)`` followed by the one-hot ``labels``, ``(N, 74)``."""
    return sn.cat([noise, F.one_hot(sn.as_tensor(labels), CLASSES).float()], dim=1)


def acgan_loss(outputs: Any, real: bool, labels: Any) -> Any:
    """S + K for the discriminator's ``outputs (N, 1 + 10)``: the binary cross-entropy of the
    first column (a logit) against 1 (``real``) or 0, plus the cross-entropy of the other ten
    against ``labels``; both means over the batch."""
    source, classes = outputs[:, :1], outputs[:, 1:]
    target = sn.ones_like(source) if real else sn.zeros_like(source)
    return F.binary_cross_entropy_with_logits(source, target) + F.cross_entropy(classes, labels)


def acgan_step(generator_net: nn.Module, discriminator_net: nn.Module,
               optimizers: tuple[optim.Optimizer, ...], real: Any, labels: Any) -> tuple[float, float]:
    """One discriminator step then one generator step on a batch of ``real`` images of ``labels``,
    the generator asked for the same classes; returns the two losses."""
    g_optimizer, d_optimizer = optimizers
    fake = generator_net(conditioned(sn.randn(real.shape[0], LATENT), labels))
    d_loss = acgan_loss(discriminator_net(real), True, labels) + acgan_loss(discriminator_net(fake.detach()),
                                                                             False, labels)
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    g_loss = acgan_loss(discriminator_net(fake), True, labels)
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()


def samples(generator_net: nn.Module, labels: Any, noise: Any = None) -> Any:
    """Images ``(N, 28, 28, 1)`` in [0, 1] (channels last, as the classifier takes them) of the
    classes ``labels``, the generator in evaluation mode, from fresh noise when ``noise`` is None."""
    noise = sn.randn(len(labels), LATENT) if noise is None else noise
    return dcgan_samples(generator_net, conditioned(noise, labels)).transpose(0, 2, 3, 1)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the AC-GAN, judging it by the classifier after every epoch; save the grids and the
    loss curves."""
    args, (x_train, y_train), classifier, classifier_accuracy = conditional_gan_setup(
        __doc__, argv, epochs=10, batch_size=128)
    planes = to_tanh_range(np.ascontiguousarray(x_train.transpose(0, 3, 1, 2)))
    loader = data.DataLoader(data.TensorDataset(planes, y_train), batch_size=args.batch_size, shuffle=True,
                             drop_last=True)
    generator_net = dcgan_init_(generator(args.width, latent=LATENT + CLASSES))
    discriminator_net = dcgan_init_(discriminator(args.width, outputs=1 + CLASSES))
    optimizers = (adam(generator_net), adam(discriminator_net))
    grid_labels, grid_noise = np.repeat(np.arange(CLASSES), 10), sn.cat([sn.randn(10, LATENT)] * CLASSES)
    names = class_names(args) or [str(label) for label in range(CLASSES)]
    sample = partial(samples, generator_net)
    d_losses: list[float] = []
    g_losses: list[float] = []
    figures, recognised_by_epoch = [], []
    for epoch in range(1, args.epochs + 1):
        for real, labels in loader:
            d_loss, g_loss = acgan_step(generator_net, discriminator_net, optimizers, real, labels)
            d_losses.append(d_loss)
            g_losses.append(g_loss)
        recognised_by_epoch.append(recognition(sample, classifier, args.per_class)[0])
        steps = len(loader)
        print(f"epoch {epoch}/{args.epochs}: discriminator loss {np.mean(d_losses[-steps:]):.4f}, "
              f"generator loss {np.mean(g_losses[-steps:]):.4f}, recognised {recognised_by_epoch[-1]:.3f}")
        figures.append(save_grid(sample(grid_labels, grid_noise), CLASSES, args.out,
                                 f"acgan_epoch_{epoch}.png", f"AC-GAN after epoch {epoch}", row_labels=names))
    figures.append(save_gan_losses(d_losses, g_losses, args.out, "acgan_losses.png"))
    recognised, per_class = recognition(sample, classifier, args.per_class)
    print_recognition(recognised, per_class, CLASSES * args.per_class, class_names(args))
    return {"d_losses": d_losses, "g_losses": g_losses, "recognised": recognised,
            "recognised_by_epoch": recognised_by_epoch, "per_class": per_class,
            "classifier_accuracy": classifier_accuracy, "figures": figures}


if __name__ == "__main__":
    main()

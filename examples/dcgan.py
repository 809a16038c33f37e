"""A DCGAN on Fashion-MNIST in PyTorch style (``scratchnet.nn``, ``optim``): a generator of
transposed convolutions against a convolutional discriminator, two Adam optimisers, binary
cross-entropy on logits, and ``detach`` so that the discriminator's step leaves the generator alone.

    python examples/dcgan.py [--epochs 10] [--limit N] [--batch-size 128] [--width 32] [--out examples/output]

The generator maps 64 standard-normal numbers through Linear → 2w·7·7 (BatchNorm1d, ReLU), views
them as 2w×7×7 planes and doubles the size twice with ``ConvTranspose2d(kernel 4, stride 2,
padding 1)`` (2w → w with BatchNorm2d and ReLU, then w → 1) and a tanh, so images come out in
[-1, 1] as the training images are scaled. The discriminator mirrors it: Conv2d(1 → w, 4, 2, 1),
LeakyReLU(0.2), Conv2d(w → 2w, 4, 2, 1), BatchNorm2d, LeakyReLU(0.2), Linear 2w·7·7 → 1 logit.
Both train with Adam(lr 2e-4, betas (0.5, 0.999)) and weights drawn from N(0, 0.02) as the DCGAN
paper sets them. Each step: the discriminator learns real → 1, ``G(z).detach()`` → 0; then the
generator learns to make the discriminator say 1 for ``G(z)`` (the non-saturating loss).
Figures: ``dcgan_epoch_K.png`` (64 images from the same fixed noise after each epoch K) and
``dcgan_losses.png`` (both losses at every step).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from example_utils import load_images, make_parser, parse
from generative_utils import save_gan_losses, save_grid, to_tanh_range

import scratchnet as sn
from scratchnet import data, nn, optim

LATENT = 64


def generator(width: int, latent: int = LATENT) -> nn.Sequential:
    """Noise ``(N, latent)`` → images ``(N, 1, 28, 28)`` in [-1, 1]."""
    return nn.Sequential(
        nn.Linear(latent, 2 * width * 7 * 7), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (2 * width, 7, 7)),
        nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh(),
    )


def discriminator(width: int, in_channels: int = 1, outputs: int = 1) -> nn.Sequential:
    """Images ``(N, in_channels, 28, 28)`` → ``outputs`` numbers each, ``(N, outputs)``: the first
    a logit, > 0 meaning "real" (the AC-GAN's class logits follow it)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * width * 7 * 7, outputs),
    )


def dcgan_init_(model: nn.Module) -> nn.Module:
    """The DCGAN paper's initialisation: every weight from N(0, 0.02) (batch-norm scales from
    N(1, 0.02)), every bias 0."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, 0.02)
            nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    return model


def adam(model: nn.Module) -> optim.Adam:
    """Adam as the DCGAN paper tunes it for GANs: lr 2e-4, β₁ 0.5."""
    return optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))


def gan_step(generator_net: nn.Module, discriminator_net: nn.Module, optimizers: tuple[optim.Optimizer, ...],
             real: Any, make_input: Any = None) -> tuple[float, float]:
    """One discriminator step then one generator step on a batch of ``real`` images; returns the
    two losses. ``make_input(images)`` prepares what the discriminator sees (identity by default);
    ``generator_net`` is called on fresh noise (its first argument is the batch size's noise)."""
    g_optimizer, d_optimizer = optimizers
    loss_fn = nn.BCEWithLogitsLoss()
    make_input = make_input or (lambda images: images)
    count = real.shape[0]
    fake = generator_net(sn.randn(count, LATENT))
    real_loss = loss_fn(discriminator_net(make_input(real)), sn.ones(count, 1))
    fake_loss = loss_fn(discriminator_net(make_input(fake.detach())), sn.zeros(count, 1))
    d_loss = real_loss + fake_loss
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    g_loss = loss_fn(discriminator_net(make_input(fake)), sn.ones(count, 1))
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()


def samples(generator_net: nn.Module, noise: Any) -> Any:
    """The generator's images for ``noise`` in evaluation mode (batch-norm running statistics),
    scaled back to [0, 1]."""
    generator_net.eval()
    with sn.no_grad():
        images = generator_net(noise).numpy()
    generator_net.train()
    return (images + 1) / 2


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the DCGAN, save a sample grid after every epoch and the loss curves."""
    parser = make_parser(__doc__, epochs=10, batch_size=128)
    parser.add_argument("--width", type=int, default=32, help="the first convolution's channels (default 32)")
    args = parse(parser, argv,
                 quick=["--epochs", "2", "--limit", "256", "--batch-size", "64", "--width", "8"])
    (x_train, _), _ = load_images(args)
    loader = data.DataLoader(data.TensorDataset(to_tanh_range(x_train[:, None])), batch_size=args.batch_size,
                             shuffle=True, drop_last=True)
    generator_net = dcgan_init_(generator(args.width))
    discriminator_net = dcgan_init_(discriminator(args.width))
    optimizers = (adam(generator_net), adam(discriminator_net))
    fixed_noise = sn.randn(64, LATENT)
    d_losses: list[float] = []
    g_losses: list[float] = []
    figures = []
    for epoch in range(1, args.epochs + 1):
        for (real,) in loader:
            d_loss, g_loss = gan_step(generator_net, discriminator_net, optimizers, real)
            d_losses.append(d_loss)
            g_losses.append(g_loss)
        steps = len(loader)
        print(f"epoch {epoch}/{args.epochs}: discriminator loss {np.mean(d_losses[-steps:]):.4f}, "
              f"generator loss {np.mean(g_losses[-steps:]):.4f}")
        figures.append(save_grid(samples(generator_net, fixed_noise), 8, args.out, f"dcgan_epoch_{epoch}.png",
                                 f"DCGAN samples after epoch {epoch}"))
    figures.append(save_gan_losses(d_losses, g_losses, args.out, "dcgan_losses.png"))
    return {"d_losses": d_losses, "g_losses": g_losses, "figures": figures}


if __name__ == "__main__":
    main()

"""A variational autoencoder (VAE) on Fashion-MNIST in PyTorch style, with a 2-D latent space so
that the whole code space can be drawn: the classes' map and the images decoded across it.

    python examples/vae.py [--epochs 20] [--limit N] [--batch-size 128] [--latent 2]

The encoder (Flatten, Linear 784 → 512 → 256 with ReLU, → 2·latent) gives each image the mean μ
and log-variance log σ² of a Gaussian q(z|x); a code is drawn with the reparameterisation
z = μ + σ·ε, ε ~ N(0, I), so the gradient flows through μ and σ; the decoder (Linear latent → 256
→ 512 with ReLU, → 784 logits) gives each pixel's Bernoulli probability p(x|z). The loss is the
negative evidence lower bound per image, in nats:

    −ELBO = BCE(x, decoder(z)) summed over the 784 pixels + KL(q(z|x) ‖ N(0, I)),
    KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²).

Adam (lr 1e-3), batch 128. Printed per epoch and for the test set: −ELBO and its two terms.
Figures: ``vae_reconstructions.png`` (test images above their reconstructions from μ),
``vae_samples.png`` (64 images decoded from z ~ N(0, I), the prior), ``vae_latent.png`` (the test
images' μ, coloured by class) and ``vae_manifold.png`` (the decoder's images on a 15×15 grid of
z in [−2.5, 2.5]², with a 2-D latent space).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from autoencoder import one_per_class, save_losses
from example_utils import class_names, load_image_planes, make_parser, parse, pyplot, save_figure
from generative_utils import fit_epochs, save_grid

import scratchnet as sn
from scratchnet import nn


class VAE(nn.Module):
    """The encoder q(z|x) and the decoder p(x|z); ``forward`` returns the decoder's pixel logits
    for a reparameterised sample of z, and μ and log σ²."""

    def __init__(self, latent: int = 2) -> None:
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256),
                                     nn.ReLU(), nn.Linear(256, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                                     nn.Linear(512, 784), nn.Unflatten(1, (1, 28, 28)))

    def encode(self, images: Any) -> tuple[Any, Any]:
        """μ and log σ² of q(z|x), each ``(N, latent)``."""
        statistics = self.encoder(images)
        return statistics[:, :self.latent], statistics[:, self.latent:]

    def forward(self, images: Any) -> tuple[Any, Any, Any]:
        """Pixel logits of the decoded z = μ + σ·ε, then μ and log σ²."""
        mean, log_variance = self.encode(images)
        z = mean + sn.exp(0.5 * log_variance) * sn.randn_like(mean)
        return self.decoder(z), mean, log_variance

    def decode(self, z: Any) -> Any:
        """The decoder's pixel probabilities (sigmoid of its logits) for codes ``z``, without a graph."""
        self.eval()
        with sn.no_grad():
            return sn.sigmoid(self.decoder(sn.tensor(np.asarray(z, dtype=np.float32)))).numpy()


def kl_to_standard_normal(mean: Any, log_variance: Any) -> Any:
    """KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), summed over the latent axes and
    averaged over the batch."""
    return -0.5 * (1 + log_variance - mean ** 2 - sn.exp(log_variance)).sum() / mean.shape[0]


def negative_elbo(model: nn.Module, images: Any) -> dict[str, Any]:
    """−ELBO per image and its terms: the Bernoulli reconstruction loss (BCE summed over pixels)
    and the KL divergence of q(z|x) from the prior."""
    logits, mean, log_variance = model(images)
    bce = nn.functional.binary_cross_entropy_with_logits(logits, images, reduction="sum")
    reconstruction = bce / len(images)
    kl = kl_to_standard_normal(mean, log_variance)
    return {"loss": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}


def plot_latent(means: Any, labels: Any, names: list[str] | None) -> Any:
    """The 2-D codes μ of the test images, one colour per class."""
    figure, axis = pyplot().subplots(figsize=(7.5, 6))
    for label in np.unique(labels):
        chosen = labels == label
        axis.scatter(means[chosen, 0], means[chosen, 1], s=3, alpha=0.6,
                     label=names[label] if names else str(label))
    axis.set(xlabel="z₁", ylabel="z₂", title="test images' codes μ (the prior is N(0, I))")
    axis.legend(markerscale=4, fontsize=8, loc="upper right")
    return figure


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the VAE, print the test −ELBO, save reconstructions, samples and the latent maps."""
    parser = make_parser(__doc__, epochs=20, batch_size=128)
    parser.add_argument("--latent", type=int, default=2, help="latent dimensions (maps need 2; default 2)")
    args = parse(parser, argv,
                 quick=["--epochs", "3", "--limit", "512", "--test-limit", "200", "--batch-size", "64"])
    (x_train, _), (x_test, y_test), _ = load_image_planes(args)
    model = VAE(args.latent)
    history: dict[str, list[float]] = {"training −ELBO": [], "test −ELBO": []}
    for epoch, train, test in fit_epochs(model, negative_elbo, x_train, x_test, args):
        history["training −ELBO"].append(train["loss"])
        history["test −ELBO"].append(test["loss"])
        print(f"epoch {epoch}/{args.epochs}: training −ELBO {train['loss']:.2f}; "
              f"test −ELBO {test['loss']:.2f} (reconstruction {test['reconstruction']:.2f} "
              f"+ KL {test['kl']:.2f}) nats per image")
    print(f"test −ELBO: {test['loss']:.2f} nats per image (reconstruction {test['reconstruction']:.2f}, "
          f"KL {test['kl']:.2f})")
    shown = x_test[one_per_class(y_test)]
    model.eval()
    with sn.no_grad():
        means = model.encode(sn.tensor(x_test))[0].numpy()
    rebuilt = model.decode(means[one_per_class(y_test)])
    figures = [save_grid(np.concatenate([shown, rebuilt]), 2, args.out, "vae_reconstructions.png",
                         "test images (top) and their reconstructions from μ (bottom)"),
               save_grid(model.decode(sn.randn(64, args.latent).numpy()), 8, args.out, "vae_samples.png",
                         "images decoded from z ~ N(0, I)"),
               save_losses(history, args.out, "vae_losses.png", "−ELBO (nats per image)")]
    if args.latent == 2:
        axis = np.linspace(-2.5, 2.5, 15, dtype=np.float32)
        grid = np.stack(np.meshgrid(axis, -axis), axis=-1).reshape(-1, 2)  # z₂ grows upwards
        figures += [save_figure(plot_latent(means, y_test, class_names(args)), args.out, "vae_latent.png"),
                    save_grid(model.decode(grid), 15, args.out, "vae_manifold.png",
                              "decoded z on a grid of [−2.5, 2.5]² (z₁ left to right, z₂ bottom to top)")]
    return {"history": history, "test": test, "figures": figures}


if __name__ == "__main__":
    main()

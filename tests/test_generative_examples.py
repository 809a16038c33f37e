"""The generative examples (AutoEncoder, VAE, DCGAN, conditional GAN, AC-GAN) run in-process with
``--quick``: their losses are finite and move the way training moves them, and their figures are
written; their formulas (the VAE's KL term, the conditional GAN's class planes and projection,
the AC-GAN's loss, the image grid) are checked on their own."""

import numpy as np

import scratchnet as sn
from tests.reference import assert_close, torch_or_skip
from tests.test_examples import check_figures, fashion, fashion_arrays, load_example, needs_fashion_mnist, run

__all__ = ["fashion", "fashion_arrays", "run"]  # fixtures shared with test_examples


def moved(losses):
    """The losses are finite and not all equal."""
    return bool(np.all(np.isfinite(losses)) and np.ptp(losses) > 0)


@needs_fashion_mnist
def test_autoencoder_quick(run, fashion, tmp_path):
    result, printed = run("autoencoder", "--quick")
    training, test = result["history"]["training MSE"], result["history"]["test MSE"]
    assert len(training) == len(test) == 3
    assert training[0] > training[1] > training[2] and test[-1] < test[0]
    assert 0 < result["pca_mse"] < result["mean_image_mse"]  # 32 components beat the mean image
    assert f"test reconstruction MSE: {result['test_mse']:.5f}" in printed
    check_figures(result, tmp_path, ["autoencoder_reconstructions.png", "autoencoder_losses.png"])


@needs_fashion_mnist
def test_vae_quick(run, fashion, tmp_path):
    result, printed = run("vae", "--quick")
    training = result["history"]["training −ELBO"]
    assert training[0] > training[1] > training[2]
    test = result["test"]
    assert test["kl"] > 0 and test["reconstruction"] > 0
    assert_close(test["loss"], test["reconstruction"] + test["kl"], rtol=1e-5)
    assert "test −ELBO" in printed
    check_figures(result, tmp_path, ["vae_reconstructions.png", "vae_samples.png", "vae_losses.png",
                                     "vae_latent.png", "vae_manifold.png"])


def test_vae_kl_term_equals_torch(monkeypatch):
    """KL(N(μ, σ²) ‖ N(0, I)), summed over the latent axes and averaged over the batch, and its
    gradients, as torch.distributions computes them."""
    torch = torch_or_skip()
    vae = load_example("vae", monkeypatch)
    rng = np.random.default_rng(0)
    mean, log_variance = rng.normal(size=(2, 5, 3))
    ours = [sn.tensor(value, requires_grad=True) for value in (mean, log_variance)]
    theirs = [torch.tensor(value, requires_grad=True) for value in (mean, log_variance)]
    kl = vae.kl_to_standard_normal(*ours)
    distribution = torch.distributions.Normal(theirs[0], torch.exp(0.5 * theirs[1]))
    prior = torch.distributions.Normal(0.0, 1.0)
    expected = torch.distributions.kl_divergence(distribution, prior).sum(1).mean()
    kl.backward()
    expected.backward()
    assert_close(kl.item(), expected.item(), rtol=1e-10)
    for our, their in zip(ours, theirs):
        assert_close(our.grad.numpy(), their.grad.numpy(), rtol=1e-10)


@needs_fashion_mnist
def test_dcgan_quick(run, fashion, tmp_path):
    result, printed = run("dcgan", "--quick")
    assert len(result["d_losses"]) == len(result["g_losses"]) == 2 * 4  # 256 images, batches of 64
    assert moved(result["d_losses"]) and moved(result["g_losses"])
    assert "epoch 2/2: discriminator loss" in printed
    check_figures(result, tmp_path, ["dcgan_epoch_1.png", "dcgan_epoch_2.png", "dcgan_losses.png"])


def test_dcgan_shapes_and_a_step_with_a_frozen_generator(monkeypatch):
    """The generator makes (N, 1, 28, 28) images in [-1, 1]; the discriminator gives (N, 1) logits;
    a GAN step with a frozen generator optimiser (lr 0) changes the discriminator only."""
    dcgan = load_example("dcgan", monkeypatch)
    from scratchnet import optim

    sn.manual_seed(0)
    generator, discriminator = dcgan.generator(4), dcgan.discriminator(4)
    images = generator(sn.randn(3, dcgan.LATENT))
    assert images.shape == (3, 1, 28, 28) and np.abs(images.numpy()).max() <= 1
    assert discriminator(images).shape == (3, 1)
    g_before = [p.numpy().copy() for p in generator.parameters()]
    d_before = [p.numpy().copy() for p in discriminator.parameters()]
    optimizers = (optim.SGD(generator.parameters(), lr=0.0), optim.SGD(discriminator.parameters(), lr=0.1))
    d_loss, g_loss = dcgan.gan_step(generator, discriminator, optimizers, sn.rand(3, 1, 28, 28) * 2 - 1)
    assert np.isfinite([d_loss, g_loss]).all()
    assert all(np.array_equal(p.numpy(), b) for p, b in zip(generator.parameters(), g_before))
    assert all(not np.array_equal(p.numpy(), b) for p, b in zip(discriminator.parameters(), d_before))


@needs_fashion_mnist
def test_cgan_quick(run, fashion, tmp_path):
    result, printed = run("cgan", "--quick")
    assert len(result["d_losses"]) == 2 * 4
    assert moved(result["d_losses"]) and moved(result["g_losses"])
    assert len(result["history"]["d_loss"]) == 2  # fit's History of the train_step's logs
    assert len(result["per_class"]) == 10 and 0 <= result["recognised"] <= 1
    assert len(result["recognised_by_epoch"]) == 2 and "after epoch 2:" in printed
    assert_close(result["recognised"], np.mean(result["per_class"]), rtol=1e-6)
    assert "recognised:" in printed
    check_figures(result, tmp_path, ["cgan_epoch_1.png", "cgan_epoch_2.png", "cgan_losses.png"])


def test_cgan_class_planes_and_generator_shapes(monkeypatch):
    cgan = load_example("cgan", monkeypatch)
    from scratchnet import tf

    labels = np.array([3, 0])
    one_hot = tf.one_hot(labels, 10)
    images = sn.rand(2, 28, 28, 1)
    stacked = cgan.with_class_planes(images, one_hot).numpy()
    assert stacked.shape == (2, 28, 28, 11)
    np.testing.assert_array_equal(stacked[..., 0], images.numpy()[..., 0])
    expected = np.zeros((2, 28, 28, 10), dtype=np.float32)
    expected[np.arange(2), :, :, labels] = 1
    np.testing.assert_array_equal(stacked[..., 1:], expected)
    sn.manual_seed(0)
    gan = cgan.ConditionalGAN(cgan.generator(4), cgan.ProjectionDiscriminator(4))
    generated = gan.generate(one_hot)
    assert generated.shape == (2, 28, 28, 1) and np.abs(generated.numpy()).max() <= 1
    assert gan.discriminator(cgan.with_class_planes(generated, one_hot)).shape == (2, 1)


def test_cgan_projection_discriminator_formula_and_gradient(monkeypatch):
    """The logit is w·φ(x) + b + (E y)·φ(x), y read from the class planes; its gradient with
    respect to the class embedding E is Σ_i φ(x_i) y_iᵀ, and the features get w + E y_i."""
    cgan = load_example("cgan", monkeypatch)
    from scratchnet import tf

    sn.manual_seed(0)
    net = cgan.ProjectionDiscriminator(4)
    labels = np.array([3, 0, 3])
    one_hot = tf.one_hot(labels, 10)
    inputs = cgan.with_class_planes(sn.rand(3, 28, 28, 1) * 2 - 1, one_hot)
    with tf.GradientTape() as tape:
        logits = net(inputs)
        total = tf.reduce_sum(logits)
    embedding_grad = tape.gradient(total, net.class_embedding.trainable_weights)[0].numpy()
    features = net.features(inputs).numpy().astype(np.float64)
    (w, b), (table,) = net.verdict.get_weights(), net.class_embedding.get_weights()  # (1, F), (F, 10)
    expected = features @ w[0] + b[0] + np.sum(table[:, labels].T * features, axis=1)
    assert_close(logits.numpy()[:, 0], expected, rtol=1e-5, atol=1e-6)
    expected_grad = np.zeros_like(table, dtype=np.float64)
    np.add.at(expected_grad.T, labels, features)
    assert_close(embedding_grad, expected_grad, rtol=1e-5, atol=1e-6)
    assert np.abs(expected_grad[:, 0]).sum() > 0 and not expected_grad[:, 1].any()


@needs_fashion_mnist
def test_acgan_quick(run, fashion, tmp_path):
    result, printed = run("acgan", "--quick")
    assert len(result["d_losses"]) == len(result["g_losses"]) == 2 * 4
    assert moved(result["d_losses"]) and moved(result["g_losses"])
    assert len(result["recognised_by_epoch"]) == 2 and len(result["per_class"]) == 10
    assert_close(result["recognised"], np.mean(result["per_class"]), rtol=1e-6)
    assert "epoch 2/2: discriminator loss" in printed and "recognised:" in printed
    check_figures(result, tmp_path, ["acgan_epoch_1.png", "acgan_epoch_2.png", "acgan_losses.png"])


def test_acgan_loss_and_generator_input_equal_torch(monkeypatch):
    """S + K (binary cross-entropy of the first column against 1 or 0, cross-entropy of the rest
    against the labels) and its gradient, as torch computes them; the generator's input is the
    noise followed by the one-hot class."""
    torch = torch_or_skip()
    acgan = load_example("acgan", monkeypatch)
    rng = np.random.default_rng(0)
    outputs, labels = rng.normal(size=(4, 11)), np.array([2, 9, 0, 2])
    for real in (True, False):
        ours, theirs = sn.tensor(outputs, requires_grad=True), torch.tensor(outputs, requires_grad=True)
        loss = acgan.acgan_loss(ours, real, sn.tensor(labels))
        source = torch.full((4, 1), float(real), dtype=torch.float64)
        expected = (torch.nn.functional.binary_cross_entropy_with_logits(theirs[:, :1], source)
                    + torch.nn.functional.cross_entropy(theirs[:, 1:], torch.tensor(labels)))
        loss.backward()
        expected.backward()
        assert_close(loss.item(), expected.item(), rtol=1e-10)
        assert_close(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)
    noise = sn.randn(4, acgan.LATENT)
    stacked = acgan.conditioned(noise, labels).numpy()
    np.testing.assert_array_equal(stacked[:, :acgan.LATENT], noise.numpy())
    np.testing.assert_array_equal(stacked[:, acgan.LATENT:], np.eye(10, dtype=np.float32)[labels])


def test_recognition_counts_the_requested_class_per_class(monkeypatch):
    """A classifier that reads the class from the image's first pixel, wrong for every third image
    of class 4: class 4 is recognised 2/3 of the time, the others always."""
    recognition = load_example("generative_utils", monkeypatch).recognition

    class Reader:
        def predict(self, images, batch_size, verbose):
            labels = images[:, 0, 0, 0].astype(int)
            labels[np.flatnonzero(labels == 4)[::3]] = 7
            return np.eye(10)[labels]

    def sample(labels):
        return np.broadcast_to(labels[:, None, None, None], (len(labels), 28, 28, 1)).astype(np.float32)

    overall, per_class = recognition(sample, Reader(), per_class=6)
    assert per_class == [1.0] * 4 + [4 / 6] + [1.0] * 5
    assert_close(overall, 58 / 60, rtol=1e-12)


def test_tile_places_images_row_by_row(monkeypatch):
    tile = load_example("generative_utils", monkeypatch).tile
    images = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 1, 2, 3)
    canvas = tile(images, rows=2)  # 3 columns, the sixth place blank
    assert canvas.shape == (2 * 3 - 1, 3 * 4 - 1)
    np.testing.assert_array_equal(canvas[0:2, 4:7], images[1, 0])
    np.testing.assert_array_equal(canvas[3:5, 0:3], images[3, 0])
    np.testing.assert_array_equal(canvas[3:5, 4:7], images[4, 0])
    assert np.isnan(canvas[3:5, 8:11]).all() and np.isnan(canvas[2]).all() and np.isnan(canvas[:, 3]).all()

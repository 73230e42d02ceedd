"""helpers.models: the collapse of two linear layers, and the small CNN of notebook 06."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers.models import CnnRecipe, collapse_linears, conv_block, small_cnn

# small_cnn() with channels (16, 32, 64), counted by hand (convolutions have no bias; batch
# norm has a weight and a bias per channel):
#   conv 1 -> 16: 16 * 1 * 3 * 3 = 144      batch norm 2 * 16 = 32
#   conv 16 -> 32: 32 * 16 * 3 * 3 = 4608   batch norm 2 * 32 = 64
#   conv 32 -> 64: 64 * 32 * 3 * 3 = 18432  batch norm 2 * 64 = 128
#   linear 64 * 4 * 4 -> 1: 1024 + 1 = 1025
SMALL_CNN_PARAMS = 144 + 32 + 4608 + 64 + 18432 + 128 + 1025  # = 24433, as notebook 06 says


@pytest.fixture(autouse=True)
def one_thread():
    """These models and batches are tiny: a second thread only adds waiting (much more on a
    busy machine), so each test runs on one and puts the setting back."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_small_cnn_parameter_count():
    assert SMALL_CNN_PARAMS == 24433
    assert n_params(small_cnn()) == SMALL_CNN_PARAMS


def test_small_cnn_parameter_count_follows_channels():
    c1, c2, c3 = 4, 8, 12
    expected = (c1 * 9 + 2 * c1) + (c2 * c1 * 9 + 2 * c2) + (c3 * c2 * 9 + 2 * c3) + c3 * 16 + 1
    assert n_params(small_cnn((c1, c2, c3))) == expected


def test_small_cnn_output_shape_on_cpu():
    torch.manual_seed(0)
    model = small_cnn()
    assert all(p.device.type == "cpu" for p in model.parameters())
    out = model(torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 1) and out.dtype == torch.float32
    assert torch.isfinite(out).all()


def test_small_cnn_halves_the_image_three_times():
    model = small_cnn((16, 32, 64))
    x = torch.rand(2, 1, 28, 28)
    shapes = []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert shapes == [(2, 16, 14, 14), (2, 32, 7, 7), (2, 64, 4, 4), (2, 1024), (2, 1)]


def test_small_cnn_rejects_flattened_digits():
    with pytest.raises(RuntimeError):
        small_cnn()(torch.rand(3, 784))


def test_conv_block_matches_functional_reference():
    torch.manual_seed(1)
    block = conv_block(3, 5)
    with torch.no_grad():  # non-trivial batch-norm parameters and running statistics
        bn = block[1]
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 2.0)
    block.eval()
    x = torch.randn(4, 3, 9, 9)
    conv = block[0]
    expected = F.relu(F.batch_norm(
        F.conv2d(x, conv.weight, None, stride=2, padding=1),
        bn.running_mean, bn.running_var, bn.weight, bn.bias, training=False, eps=bn.eps))
    assert conv.bias is None and conv.kernel_size == (3, 3)
    torch.testing.assert_close(block(x), expected)
    assert block(x).shape == (4, 5, 5, 5)  # ceil(9 / 2)


def test_small_cnn_gradients_reach_every_parameter():
    torch.manual_seed(2)
    model = small_cnn()
    x, y = torch.rand(8, 1, 28, 28), torch.randint(0, 2, (8, 1)).float()
    F.binary_cross_entropy_with_logits(model(x), y).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_small_cnn_learns_a_toy_task():
    """Ink on the left half vs the right half: a few Adam steps must separate them."""
    torch.manual_seed(3)
    x = torch.rand(16, 1, 28, 28) * 0.3
    y = (torch.arange(16) % 2).float().unsqueeze(1)
    x[y.squeeze(1) == 1, :, :, :14] += 0.7
    x[y.squeeze(1) == 0, :, :, 14:] += 0.7
    model = small_cnn((4, 8, 8))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(20):
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        assert ((model(x) > 0).float() == y).all()


def test_one_logit_bce_is_two_class_cross_entropy():
    """What notebook 06 states: softmax over logits (0, z) is sigmoid(z), so the losses agree."""
    torch.manual_seed(4)
    z = torch.randn(50) * 3
    y = torch.randint(0, 2, (50,))
    two_logits = torch.stack([torch.zeros_like(z), z], dim=1)
    torch.testing.assert_close(F.cross_entropy(two_logits, y),
                               F.binary_cross_entropy_with_logits(z, y.float()))


@pytest.mark.parametrize(("n_in", "n_mid", "n_out"), [(784, 30, 1), (5, 4, 3), (3, 8, 2)])
def test_collapse_linears_computes_the_same_function(n_in, n_mid, n_out):
    torch.manual_seed(5)
    first, second = nn.Linear(n_in, n_mid), nn.Linear(n_mid, n_out)
    merged = collapse_linears(first, second)
    assert isinstance(merged, nn.Linear)
    assert (merged.in_features, merged.out_features) == (n_in, n_out)
    x = torch.rand(16, n_in)
    with torch.no_grad():
        torch.testing.assert_close(merged(x), second(first(x)), rtol=1e-5, atol=1e-5)
    # The same as composing the two affine maps by hand.
    torch.testing.assert_close(merged.weight, second.weight @ first.weight)
    torch.testing.assert_close(merged.bias, second.weight @ first.bias + second.bias)


def test_collapse_linears_leaves_inputs_alone_and_tracks_grad():
    torch.manual_seed(6)
    first, second = nn.Linear(4, 3), nn.Linear(3, 2)
    before = [p.clone() for p in (*first.parameters(), *second.parameters())]
    merged = collapse_linears(first, second)
    after = [*first.parameters(), *second.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert merged.weight.requires_grad and merged.weight.grad_fn is None  # a fresh leaf


def test_collapse_fails_once_relu_sits_between():
    torch.manual_seed(7)
    first, second = nn.Linear(10, 20), nn.Linear(20, 1)
    merged = collapse_linears(first, second)
    x = torch.randn(64, 10)
    with torch.no_grad():
        gap = (second(F.relu(first(x))) - merged(x)).abs().max()
    assert gap > 0.01


def test_collapse_linears_rejects_bad_pairs():
    with pytest.raises(ValueError, match="cannot be chained"):
        collapse_linears(nn.Linear(4, 3), nn.Linear(5, 1))
    with pytest.raises(ValueError, match="bias"):
        collapse_linears(nn.Linear(4, 3, bias=False), nn.Linear(3, 1))


def test_cnn_recipe_is_fixed():
    recipe = CnnRecipe()
    assert recipe.epochs >= 1 and recipe.lr > 0 and recipe.batch_size >= 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipe.lr = 1.0  # type: ignore[misc]

"""TensorBatcher: random batches from one uint8 tensor, converted to [-1, 1] per batch."""

import numpy as np
import pytest
import torch

from infogan_edu.data.batching import TensorBatcher, to_float_images, to_uint8_images


def numbered_images(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Image i is filled with the value i % 256 and labelled the same, to check alignment."""
    values = (np.arange(n) % 256).astype(np.uint8)
    return np.broadcast_to(values[:, None, None], (n, 28, 28)).copy(), values


def test_batch_shape_dtype_and_range():
    images, _ = numbered_images()
    x = TensorBatcher(images, batch_size=64).next()
    assert x.shape == (64, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1


def test_extremes_map_to_minus_one_and_one():
    images = np.array([[[0, 255]]], dtype=np.uint8)  # (1, 1, 2)
    torch.testing.assert_close(to_float_images(images), torch.tensor([[[[-1.0, 1.0]]]]))
    x = TensorBatcher(images, batch_size=1).next()
    torch.testing.assert_close(x, torch.tensor([[[[-1.0, 1.0]]]]))


def test_labels_stay_aligned_with_images():
    images, labels = numbered_images()
    batcher = TensorBatcher(images, labels, batch_size=100, seed=3)
    for _ in range(3):
        x, y = batcher.next()
        assert y.dtype == torch.int64 and y.shape == (100,)
        assert torch.equal(to_uint8_images(x)[:, 0, 5, 5].long(), y)


def test_float_uint8_round_trip_is_exact():
    u8 = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    assert torch.equal(to_uint8_images(to_float_images(u8)), u8)
    assert torch.equal(to_uint8_images(torch.tensor([-3.0, 3.0])), torch.tensor([0, 255], dtype=torch.uint8))


def test_binary_images_with_pixel_max_one():
    u8 = torch.tensor([[[0, 1]]], dtype=torch.uint8)
    x = TensorBatcher(u8, batch_size=1, pixel_max=1).next()
    assert x.flatten().tolist() == [-1.0, 1.0]


def test_same_seed_same_batches_and_global_rng_untouched():
    images, _ = numbered_images()
    state = torch.get_rng_state()
    a = [TensorBatcher(images, batch_size=32, seed=7).next() for _ in range(2)]
    assert torch.equal(a[0], a[1])
    assert not torch.equal(a[0], TensorBatcher(images, batch_size=32, seed=8).next())
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("replacement", [True, False])
def test_state_dict_resumes_exactly(replacement):
    images, labels = numbered_images(100)
    batcher = TensorBatcher(images, labels, batch_size=30, seed=1, replacement=replacement)
    for _ in range(2):
        batcher.next()
    state = batcher.state_dict()
    expected = [batcher.next()[1] for _ in range(5)]  # crosses an epoch boundary without replacement
    resumed = TensorBatcher(images, labels, batch_size=30, seed=99, replacement=replacement)
    resumed.load_state_dict(state)
    assert all(torch.equal(a, resumed.next()[1]) for a in expected)


def test_epoch_mode_visits_every_example_once():
    images, labels = numbered_images(120)
    batcher = TensorBatcher(images, labels, batch_size=40, replacement=False)
    assert batcher.batches_per_epoch == 3 and batcher.num_examples == 120
    seen = torch.cat([batcher.next()[1] for _ in range(3)])
    assert sorted(seen.tolist()) == list(range(120))


def test_iterator_protocol():
    images, _ = numbered_images()
    batcher = TensorBatcher(images, batch_size=8)
    assert iter(batcher) is batcher
    assert next(batcher).shape == (8, 1, 28, 28)
    for i, x in enumerate(batcher):
        assert x.shape == (8, 1, 28, 28)
        if i == 2:
            break


def test_accepts_torch_nchw_and_keeps_one_uint8_copy():
    u8 = torch.randint(0, 256, (50, 3, 8, 8), dtype=torch.uint8)
    batcher = TensorBatcher(u8, batch_size=10)
    assert batcher.images.dtype == torch.uint8 and batcher.images.shape == (50, 3, 8, 8)
    assert batcher.next().shape == (10, 3, 8, 8)


def test_rejects_bad_input():
    with pytest.raises(TypeError, match="uint8"):
        TensorBatcher(np.zeros((4, 28, 28), np.float32))
    with pytest.raises(ValueError, match="shape"):
        TensorBatcher(np.zeros((4, 28), np.uint8))
    with pytest.raises(ValueError, match="labels"):
        TensorBatcher(np.zeros((4, 2, 2), np.uint8), labels=[1, 2, 3], batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        TensorBatcher(np.zeros((4, 2, 2), np.uint8), batch_size=5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_data_generator_and_batches_live_on_the_gpu():
    images, labels = numbered_images()
    batcher = TensorBatcher(images, labels, batch_size=16, device="cuda", seed=0)
    assert batcher.images.is_cuda and batcher.generator.device.type == "cuda"
    x, y = batcher.next()
    assert x.is_cuda and y.is_cuda
    assert torch.equal(to_uint8_images(x)[:, 0, 0, 0].long(), y)
    state = batcher.state_dict()
    first = batcher.next()[1]
    batcher.load_state_dict(state)
    assert torch.equal(batcher.next()[1], first)

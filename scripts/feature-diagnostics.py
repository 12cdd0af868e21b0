#!/usr/bin/env python3
# Diagnostics of pre-trained ResNet-18 trunks on plain Fashion-MNIST: each gray item on a black canvas, the
# dataset's own look, rather than the tinted scene-style items of `zoo eval knn`. It reports, for each trunk:
# - kNN top-1 with `zoo eval knn`'s protocol: the first 10,000 training items as the gallery, the first 2,000 test
#   items as queries, GAP(Res5) in eval mode, cosine similarity, k 200, τ 0.07;
# - the mean pairwise cosine of the features, which is near 1 when every image maps to almost the same direction;
# - their effective rank: exp of the entropy of the normalised squared singular values of the centred gallery
#   features. It is 1 when the features vary along a single direction.
# It reads trunks written by `zoo export backbone CKPT -o FILE` (torchvision names). With `FILE:idbn`, the BN
# running statistics are reset to mean 0 / variance 1, which is the random trunk of `zoo eval knn --random-init`.
# Uses the peers' venv (../shared/bench/setup-peers):
#   ~/.cache/kiln-peers/venv-torch/bin/python scripts/feature-diagnostics.py r18-init.safetensors:idbn r18-detco.safetensors
import gzip, os, sys
import numpy as np, torch, torch.nn.functional as F, torchvision
from safetensors.torch import load_file

torch.set_num_threads(2)
root = os.environ.get('FASHION_MNIST', '/usr/share/datasets/fashion-mnist')


def idx(name, count, offset):
    with gzip.open(os.path.join(root, name)) as f:
        data = f.read()
    return np.frombuffer(data, np.uint8, offset=offset)[:count].copy()


train_x = idx('train-images-idx3-ubyte.gz', 10000 * 784, 16).reshape(-1, 28, 28)
train_y = torch.from_numpy(idx('train-labels-idx1-ubyte.gz', 10000, 8).astype(np.int64))
test_x = idx('t10k-images-idx3-ubyte.gz', 2000 * 784, 16).reshape(-1, 28, 28)
test_y = torch.from_numpy(idx('t10k-labels-idx1-ubyte.gz', 2000, 8).astype(np.int64))
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def render(images, size=64, fill=0.75):
    """Each item resized to 75 % of the canvas (as `zoo eval knn` does), centred on black, ImageNet-normalised."""
    x = torch.from_numpy(images).float().div(255).unsqueeze(1)
    side = round(size * fill)
    x = F.interpolate(x, size=(side, side), mode='bilinear', antialias=True, align_corners=False)
    canvas = torch.zeros(len(images), 1, size, size)
    o = (size - side) // 2
    canvas[:, :, o:o + side, o:o + side] = x
    return (canvas.repeat(1, 3, 1, 1) - mean) / std


def trunk(path, identity_bn):
    model = torchvision.models.resnet18()
    model.load_state_dict(load_file(path), strict=False)
    if identity_bn:
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.zero_()
                m.running_var.fill_(1)
    model.fc = torch.nn.Identity()
    return model.eval()


@torch.no_grad()
def features(model, x):
    return torch.cat([model(x[i:i + 250]) for i in range(0, len(x), 250)])


def knn(gallery, queries, k=200, tau=0.07):
    gallery, queries = F.normalize(gallery, dim=1), F.normalize(queries, dim=1)
    sims, nearest = (queries @ gallery.T).topk(k, dim=1)
    votes = torch.zeros(len(queries), 10).scatter_add_(1, train_y[nearest], (sims / tau).exp())
    return (votes.argmax(1) == test_y).float().mean().item() * 100


def effective_rank(f):
    s = torch.linalg.svdvals(f - f.mean(0, keepdim=True))
    p = s ** 2 / (s ** 2).sum()
    return torch.exp(-(p * torch.log(p + 1e-12)).sum()).item()


train_in, test_in = render(train_x), render(test_x)
for spec in sys.argv[1:]:
    path, _, option = spec.partition(':')
    model = trunk(path, identity_bn=option == 'idbn')
    gallery, queries = features(model, train_in), features(model, test_in)
    n = F.normalize(gallery[:500], dim=1)
    print(f'{spec}: plain kNN top-1 {knn(gallery, queries):.1f} %, mean cosine {(n @ n.T).mean().item():.3f}, '
          f'effective rank {effective_rank(gallery):.1f}', flush=True)

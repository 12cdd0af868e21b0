#!/usr/bin/env python3
# The demo MoCo v2 recipe (`zoo train mocov2` defaults) written independently in PyTorch, on the same demo scenes:
# a cross-check that tells effects of the recipe and data from defects in Kiln. It saves the query trunk under
# torchvision names, which `zoo eval knn FILE` reads. Uses the peers' venv (../shared/bench/setup-peers):
#   ~/.cache/kiln-peers/venv-torch/bin/python scripts/moco-reference.py [STEPS] [OUT.safetensors] [LR_PER_256] [BN_SPLITS]
# One thread: with other load on the two cores, PyTorch's OpenMP threads slow down many-fold.
# It reads the PNG scene cache (~/.cache/kiln/scenes-v2-96-0-10000) that the detection commands create on first
# use (e.g. `zoo finetune maskrcnn-fpn --iters 1`); it does not apply Kiln's background swap.
import math, os, sys, time, random
import torch, torch.nn as nn, torch.nn.functional as F
import torchvision, torchvision.transforms as T
from PIL import Image
from safetensors.torch import save_file

torch.set_num_threads(1)
torch.manual_seed(0); random.seed(0)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
out = sys.argv[2] if len(sys.argv) > 2 else 'runs/moco-reference.safetensors'
lr_base = float(sys.argv[3]) if len(sys.argv) > 3 else 0.24
splits = int(sys.argv[4]) if len(sys.argv) > 4 else 2
B, S, K, m, tau = 32, 64, 4096, 0.99, 0.2
lr = lr_base * B / 256
root = os.path.join(os.environ.get('KILN_CACHE', os.path.expanduser('~/.cache/kiln')), 'scenes-v2-96-0-10000', 'images')
files = sorted(os.listdir(root))
norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
aug = T.Compose([
    T.RandomResizedCrop(S, scale=(0.2, 1.0)),
    T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.5)], p=0.8),
    T.RandomGrayscale(p=0.2),
    T.RandomApply([T.GaussianBlur(7, sigma=(0.1 * S / 224, 2.0 * S / 224))], p=0.5),
    T.RandomHorizontalFlip(), T.ToTensor(), norm])

class SplitBN(nn.BatchNorm2d):
    def __init__(self, c, g):
        super().__init__(c); self.g = g
    def forward(self, x):
        if not self.training or self.g == 1: return super().forward(x)
        n, c, h, w = x.shape
        rm = self.running_mean.repeat(self.g); rv = self.running_var.repeat(self.g)
        y = F.batch_norm(x.view(n // self.g, c * self.g, h, w), rm, rv, self.weight.repeat(self.g), self.bias.repeat(self.g),
                         True, self.momentum, self.eps).view(n, c, h, w)
        self.running_mean.data.copy_(rm.view(self.g, c).mean(0)); self.running_var.data.copy_(rv.view(self.g, c).mean(0))
        return y

def encoder():
    r = torchvision.models.resnet18(num_classes=128, norm_layer=lambda c: SplitBN(c, splits))
    r.fc = nn.Sequential(nn.Linear(512, 512), nn.ReLU(), r.fc)
    return r

q_enc, k_enc = encoder(), encoder()
for pk, pq in zip(k_enc.parameters(), q_enc.parameters()): pk.data.copy_(pq.data); pk.requires_grad = False
queue = F.normalize(torch.randn(K, 128), dim=1); ptr = 0
opt = torch.optim.SGD(q_enc.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
order = list(range(len(files))); random.shuffle(order)
t0 = time.time()
for step in range(steps):
    cur = lr * (step + 1) / 20 if step < 20 else lr * 0.5 * (1 + math.cos(math.pi * (step - 20) / max(1, steps - 20)))
    for gr in opt.param_groups: gr['lr'] = cur
    idx = [order[(step * B + i) % len(order)] for i in range(B)]
    imgs = [Image.open(os.path.join(root, files[i])).convert('RGB') for i in idx]
    x1 = torch.stack([aug(im) for im in imgs]); x2 = torch.stack([aug(im) for im in imgs])
    with torch.no_grad():
        for pk, pq in zip(k_enc.parameters(), q_enc.parameters()): pk.data.mul_(m).add_(pq.data, alpha=1 - m)
        perm = torch.randperm(B); inv = torch.argsort(perm)
        k = F.normalize(k_enc(x2[perm]), dim=1)[inv]
    q = F.normalize(q_enc(x1), dim=1)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.t()], 1) / tau
    loss = F.cross_entropy(logits, torch.zeros(B, dtype=torch.long))
    opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        queue[ptr:ptr + B] = k; ptr = (ptr + B) % K
    if (step + 1) % 25 == 0:
        print(f'step {step+1} loss {loss.item():.4f} lr {cur:.4f} {time.time()-t0:.0f}s', flush=True)
sd = {k: v.contiguous() for k, v in q_enc.state_dict().items() if not k.startswith('fc.')}
save_file(sd, out)
print('saved', out)

"""One optimiser step of train_style's network in PyTorch, for
`cargo bench --bench training`: the same network (multi-style transformer
with conditional instance norms), VGG16 loss network, losses and Adam as
`StyleTrainer`, on the CPU with the thread count given; with `--student`,
the lite student distilled from multistyle26 (`train_style --teacher
--lite --alpha 0`: VGG16 taps up to relu2_2 and pixels against the
teacher's output); with `--texture`, `train_texture`'s step (PSGAN
generator 64/32/16 with 4 periodic waves, patch discriminator 32/64/128,
non-saturating BCE: one discriminator and one generator Adam step).

    python3 benches/torch_training.py --threads 2 --runs 5 --size 128 --batch 2 --adv none [--student | --texture] [--profile]
    python3 benches/torch_training.py --threads 2 --runs 5 --conv N,CIN,COUT,K,SIDE ...

With `--conv`, each shape's convolution (stride 1, no padding, input
`N×CIN×SIDE×SIDE`) is timed alone: `conv SHAPE FORWARD_MS BACKWARD_MS`
(backward: both gradients of the sum of the output).

Prints `step MS` (median after two warm-up steps), and with `--profile`
the `torch.profiler` table of one step (self CPU time per op).
"""

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

# Contracting kernels, strides, output kernel (the crate's ConvShape).
CLASSIC = ([9, 3, 3], [1, 2, 2], 9)
LITE = ([3, 3, 3], [2, 2, 1], 3)


class ConvBlock(nn.Module):
    """Nearest ×2 upsampling (optional), reflection padding, convolution
    without bias, conditional instance norm, activation: the crate's
    `ConvBlock`."""

    def __init__(self, cin, cout, kernel, styles, stride=1, upsample=False, act="relu"):
        super().__init__()
        self.w = nn.Parameter(torch.randn(cout, cin, kernel, kernel) * (2.0 / (cin * kernel * kernel)) ** 0.5)
        self.gamma = nn.Parameter(torch.ones(styles, cout))
        self.beta = nn.Parameter(torch.zeros(styles, cout))
        self.stride, self.upsample, self.act, self.pad = stride, upsample, act, kernel // 2

    def forward(self, x, code):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = F.pad(x, [self.pad] * 4, mode="reflect")
        y = F.conv2d(x, self.w, stride=self.stride)
        n, c = y.shape[:2]
        scale = (code @ self.gamma).reshape(n, c, 1, 1)
        shift = (code @ self.beta).reshape(n, c, 1, 1)
        y = F.instance_norm(y, eps=1e-5) * scale + shift
        if self.act == "relu":
            return F.relu(y)
        if self.act == "sigmoid":
            return torch.sigmoid(y)
        return y


class MultiStyleNet(nn.Module):
    """The crate's `MultiStyleConfig::new(styles, contract, depth, expand)`."""

    def __init__(self, styles, contract, depth, expand, shape=CLASSIC):
        super().__init__()
        (k0, k1, k2), (s0, s1, s2), k_out = shape
        c0, c1, c2 = contract
        e0, e1 = expand
        self.contract = nn.ModuleList(
            [ConvBlock(3, c0, k0, styles, s0), ConvBlock(c0, c1, k1, styles, s1), ConvBlock(c1, c2, k2, styles, s2)]
        )
        self.res = nn.ModuleList(
            [
                nn.ModuleList([ConvBlock(c2, c2, 3, styles), ConvBlock(c2, c2, 3, styles, act="none")])
                for _ in range(depth)
            ]
        )
        self.expand = nn.ModuleList(
            [
                ConvBlock(c2, e0, 3, styles, upsample=True),
                ConvBlock(e0, e1, 3, styles, upsample=True),
                ConvBlock(e1, 3, k_out, styles, act="sigmoid"),
            ]
        )

    def forward(self, x, code):
        for block in self.contract:
            x = block(x, code)
        for first, second in self.res:
            x = x + second(first(x, code), code)
        for block in self.expand:
            x = block(x, code)
        return x


# VGG16 features: convolutions per block, taps relu1_2, relu2_2, relu3_3, relu4_3.
BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3)]


class Vgg16(nn.Module):
    def __init__(self):
        super().__init__()
        convs, cin = [], 3
        for cout, count in BLOCKS:
            for _ in range(count):
                convs.append(nn.Conv2d(cin, cout, 3, padding=1))
                cin = cout
        self.convs = nn.ModuleList(convs)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1))

    def forward(self, x, deepest):
        x = (x - self.mean) / self.std
        taps, convs = [], iter(self.convs)
        for block, (_, count) in enumerate(BLOCKS[: deepest + 1]):
            if block > 0:
                x = F.max_pool2d(x, 2)
            for _ in range(count):
                x = F.relu(next(convs)(x))
            taps.append(x)
        return taps


class PatchDiscriminator(nn.Module):
    def __init__(self, cin, channels=(32, 64, 128)):
        super().__init__()
        convs = []
        for cout in channels:
            convs.append(nn.Conv2d(cin, cout, 4, stride=2, padding=1))
            cin = cout
        self.convs = nn.ModuleList(convs)
        self.score = nn.Conv2d(cin, 1, 3, padding=1)

    def forward(self, x):
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
        return self.score(x)


class Psgan(nn.Module):
    """The crate's `PsganGenerator`: a latent field (local noise, the global
    code, periodic waves whose frequencies come from the code) decoded by
    ×2 nearest upsampling, 3×3 circular convolutions, pixel norm and leaky
    ReLU, then a circular convolution to RGB and tanh."""

    def __init__(self, channels=(64, 32, 16), local=16, global_dim=16, periodic=4, hidden=32):
        super().__init__()
        self.local, self.global_dim, self.periodic = local, global_dim, periodic
        self.wave_hidden = nn.Linear(global_dim, hidden)
        self.wave_out = nn.Linear(hidden, 2 * periodic)
        cin = local + global_dim + periodic
        self.stages = nn.ModuleList()
        for cout in channels:
            self.stages.append(nn.Conv2d(cin, cout, 3))
            cin = cout
        self.to_rgb = nn.Conv2d(cin, 3, 3)

    def forward(self, n, cells):
        local = torch.rand(n, self.local, cells, cells) * 2 - 1
        code = torch.rand(n, self.global_dim) * 2 - 1
        waves = torch.tanh(self.wave_out(F.relu(self.wave_hidden(code)))).reshape(n, self.periodic, 2) * torch.pi
        xs = torch.arange(cells, dtype=torch.float32).reshape(1, 1, 1, cells)
        ys = torch.arange(cells, dtype=torch.float32).reshape(1, 1, cells, 1)
        phase = torch.rand(n, self.periodic, 1, 1) * 2 * torch.pi
        kx, ky = waves[..., 0, None, None], waves[..., 1, None, None]
        periodic = torch.sin(kx * xs + ky * ys + phase)
        x = torch.cat([local, code.reshape(n, -1, 1, 1).expand(n, self.global_dim, cells, cells), periodic], 1)
        for conv in self.stages:
            x = conv(F.pad(F.interpolate(x, scale_factor=2, mode="nearest"), [1] * 4, mode="circular"))
            x = x / (x.pow(2).mean(1, keepdim=True) + 1e-8).sqrt()
            x = F.leaky_relu(x, 0.2)
        return torch.tanh(self.to_rgb(F.pad(x, [1] * 4, mode="circular")))


def texture_step_fn(batch, size):
    """`TextureTrainer`'s step: discriminator on exemplar crops against
    generated images, then the generator against the updated one."""
    generator, disc = Psgan(), PatchDiscriminator(3)
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    cells = size // 8

    def step():
        real = torch.rand(batch, 3, size, size) * 2 - 1
        fake = generator(batch, cells).detach()
        loss_d = F.softplus(-disc(real)).mean() + F.softplus(disc(fake)).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.softplus(-disc(generator(batch, cells))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        return loss_g.item()

    return step


def gram(f):
    n, c, h, w = f.shape
    flat = f.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def total_variation(x):
    return (x[..., :, 1:] - x[..., :, :-1]).pow(2).mean() + (x[..., 1:, :] - x[..., :-1, :]).pow(2).mean()


def conditioned(image, code):
    n, _, h, w = image.shape
    planes = code.reshape(n, -1, 1, 1).expand(n, code.shape[1], h, w)
    return torch.cat([image * 2 - 1, planes], 1)


def median_ms(runs, f):
    f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def conv_times(shapes, runs):
    for shape in shapes:
        n, cin, cout, k, side = (int(v) for v in shape.split(","))
        x = torch.rand(n, cin, side, side, requires_grad=True)
        w = torch.rand(cout, cin, k, k, requires_grad=True)
        with torch.no_grad():
            forward = median_ms(runs, lambda: F.conv2d(x, w))

        def both():
            F.conv2d(x, w).sum().backward()

        backward = median_ms(runs, both) - forward
        print(f"conv {shape} {forward:.2f} {backward:.2f}")


def style_step_fn(args):
    """`StyleTrainer`'s step: the style network (or, with `--student`, the
    lite student and its teacher) against VGG16 losses, with a
    discriminator for `--adv lsgan`."""
    batch, size = args.batch, args.size
    vgg = Vgg16().requires_grad_(False)
    if args.student:
        # multistyle26_lite: 8 of the teacher's 26 styles.
        styles = 8
        net = MultiStyleNet(styles, [16, 32, 32], 2, [8, 4], LITE)
        teacher = MultiStyleNet(26, [32, 32, 32], 6, [8, 4]).requires_grad_(False)
        targets = None
    else:
        styles = 1
        net = MultiStyleNet(styles, [32, 32, 32], 5, [16, 8])
        teacher = None
        with torch.no_grad():
            targets = [gram(t) for t in vgg(torch.rand(1, 3, 256, 256), 3)]
    style_params = [p for name, p in net.named_parameters() if name.endswith(("gamma", "beta"))]
    conv_params = [p for name, p in net.named_parameters() if name.endswith(".w")]
    opt_g = torch.optim.Adam(
        [{"params": conv_params, "lr": 1e-3}, {"params": style_params, "lr": 1e-2}], betas=(0.5, 0.999)
    )
    disc = PatchDiscriminator(3 + styles) if args.adv == "lsgan" else None
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999)) if disc else None

    def step():
        content = torch.rand(batch, 3, size, size)
        picks = torch.randint(styles, (batch,))
        code = F.one_hot(picks, styles).float()
        output = net(content, code)
        if teacher is not None:
            with torch.no_grad():
                taught = teacher(content, F.one_hot(picks * 3, 26).float())
                wanted = vgg(taught, 1)
            taps = vgg(output, 1)
            total = sum((t - w).pow(2).mean() for t, w in zip(taps, wanted))
            total = total + 50.0 * (output - taught).pow(2).mean()
        else:
            taps = vgg(output, 3)
            with torch.no_grad():
                target = vgg(content, 1)[-1]
            loss_c = (taps[1] - target).pow(2).mean()
            loss_s = sum(((gram(t) - g.expand(batch, -1, -1)).pow(2).mean() for t, g in zip(taps, targets)))
            total = loss_c + 2e5 * loss_s
        total = total + 10.0 * total_variation(output)
        if disc is not None:
            real = torch.rand(batch, 3, min(size, 256), min(size, 256))
            real_logits = disc(conditioned(real, code))
            fake_logits = disc(conditioned(output.detach(), code))
            loss_d = 0.5 * ((real_logits - 1).pow(2).mean() + fake_logits.pow(2).mean())
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = 0.5 * (disc(conditioned(output, code)) - 1).pow(2).mean()
            total = total + loss_g
        opt_g.zero_grad()
        total.backward()
        opt_g.step()
        return total.item()

    return step


def main():
    parser = argparse.ArgumentParser()
    for name in ["threads", "runs", "size", "batch"]:
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--adv", default="none")
    parser.add_argument("--student", action="store_true")
    parser.add_argument("--texture", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--conv", nargs="*", default=None)
    if "--conv" in sys.argv:
        for name in ["size", "batch"]:
            parser._option_string_actions[f"--{name}"].required = False
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.conv is not None:
        return conv_times(args.conv, args.runs)
    torch.manual_seed(0)
    batch, size = args.batch, args.size
    step = texture_step_fn(batch, size) if args.texture else style_step_fn(args)
    for _ in range(2):
        step()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    print(f"step {statistics.median(times):.1f}")
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=14))


if __name__ == "__main__":
    main()

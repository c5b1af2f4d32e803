"""The architectures plugins' networks written in plain PyTorch, layer for layer, for the eager
baselines of bench/train_throughput.py: the same convolutions, BatchNorms, activations, widths
(the plugins' llround(standard * width)) and initialisation, so a throughput ratio compares
runtimes, not models."""
import torch.nn as nn
import torch.nn.functional as F

VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def scaled(width, multiplier):
    # std::llround: halves away from zero (Python's round() would round them to even).
    return max(1, int(width * multiplier + 0.5))


def conv(cin, cout, kernel, stride=1, groups=1):
    return nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)


def initialise(net):
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
    return net


class Vgg(nn.Module):
    """architectures/vgg: conv3x3(no bias)+BN+ReLU, pools skipped at 1x1, adaptive average pool,
    1x1 conv classifier."""

    def __init__(self, width=0.25, in_channels=1, classes=10, size=28):
        super().__init__()
        layers, c = [], in_channels
        for item in VGG11:
            if item == "M":
                if size > 1:
                    layers.append(nn.MaxPool2d(2))
                    size //= 2
            else:
                w = scaled(item, width)
                layers += [conv(c, w, 3), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
                c = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Conv2d(c, classes, 1)
        initialise(self)
        nn.init.normal_(self.classifier.weight, 0.0, 0.01)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(x).flatten(1)


class BasicBlock(nn.Module):
    def __init__(self, cin, inner, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, inner, 3, stride), nn.BatchNorm2d(inner)
        self.conv2, self.bn2 = conv(inner, cout, 3), nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1:
            self.shortcut = nn.Sequential(conv(cin, cout, 1, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        y += self.shortcut(x) if self.shortcut is not None else x
        return F.relu(y, inplace=True)


class ResNet18(nn.Module):
    """architectures/resnet: CIFAR-style ResNet-18 (3x3 stem, no max-pool, stride-2 stages with a
    1x1 projection shortcut, adaptive average pool, linear classifier)."""

    def __init__(self, width=0.25, in_channels=1, classes=10):
        super().__init__()
        widths = [scaled(w, width) for w in (64, 128, 256, 512)]
        self.stem, self.stem_bn = conv(in_channels, widths[0], 3), nn.BatchNorm2d(widths[0])
        blocks, c = [], widths[0]
        for s, w in enumerate(widths):
            for b in range(2):
                blocks.append(BasicBlock(c, w, w, 2 if b == 0 and s > 0 else 1))
                c = w
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(c, classes)
        initialise(self)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem_bn(self.stem(x)), inplace=True))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, expanded, cout, stride, residual):
        super().__init__()
        self.residual = residual
        hidden = cin
        self.expand = None
        if expanded:
            self.expand = nn.Sequential(conv(cin, expanded, 1), nn.BatchNorm2d(expanded),
                                        nn.ReLU6(inplace=True))
            hidden = expanded
        self.depthwise = nn.Sequential(conv(hidden, hidden, 3, stride, hidden),
                                       nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True))
        self.project = nn.Sequential(conv(hidden, cout, 1), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return y + x if self.residual else y


class MobileNetV2(nn.Module):
    """architectures/mobilenet (v2): stride-1 stem for small images, the paper's 17 inverted
    residual blocks, expansion widths scaled from the standard 6 x input width, 1x1 head."""

    STAGES = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
              (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, width=0.25, in_channels=1, classes=10):
        super().__init__()
        c = scaled(32, width)
        self.stem = nn.Sequential(conv(in_channels, c, 3), nn.BatchNorm2d(c),
                                  nn.ReLU6(inplace=True))
        blocks, standard_in = [], 32
        for expansion, w, count, stride in self.STAGES:
            out = scaled(w, width)
            for b in range(count):
                expanded = scaled(expansion * standard_in, width) if expansion != 1 else 0
                blocks.append(InvertedResidual(c, expanded, out, stride if b == 0 else 1, b > 0))
                c, standard_in = out, w
        self.blocks = nn.Sequential(*blocks)
        head = scaled(1280, width)
        self.head = nn.Sequential(conv(c, head, 1), nn.BatchNorm2d(head), nn.ReLU6(inplace=True))
        self.classifier = nn.Linear(head, classes)
        initialise(self)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


NETS = {"vgg11": Vgg, "resnet18": ResNet18, "mobilenet_v2": MobileNetV2}


def build(architecture, width=0.25):
    return NETS[architecture](width)

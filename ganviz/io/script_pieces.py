"""The pieces of text an exported training script is made of (see `ganviz.io.script`), one per choice.

Each piece is code exactly as it goes into the file, at its indentation there, so what is read here is what the
user gets. Every table is keyed by the names of ganviz's registries (datasets, noise, activations, losses,
optimisers, extra generator losses); a name missing here is left out of an exported file, and the file says so.
"""

# --- the data: each defines sample_data(n) -> (n, 2) -----------------------------------------------------------

MIXTURE = '''
def sample_data(n):
    """n points (n, 2): a random centre each, plus N(0, SIGMA²) noise on each axis."""
    which = torch.randint(len(CENTRES), (n,))
    return CENTRES[which] + SIGMA * torch.randn(n, 2)
'''

DATA = {
    "ring8": """
ANGLES = 2 * math.pi * torch.arange(8) / 8
CENTRES = 2.0 * torch.stack([torch.cos(ANGLES), torch.sin(ANGLES)], dim=1)
SIGMA = 0.02

"""
    + MIXTURE,
    "grid25": """
GRID = (-4.0, -2.0, 0.0, 2.0, 4.0)
CENTRES = torch.tensor([(x, y) for x in GRID for y in GRID])
SIGMA = 0.05

"""
    + MIXTURE,
    "two-clusters": '''
CENTRES = torch.tensor([(-1.5, 0.0), (1.5, 0.0)])
WEIGHTS = torch.tensor([0.75, 0.25])
SIGMA = 0.1


def sample_data(n):
    """n points (n, 2): a centre drawn with WEIGHTS each, plus N(0, SIGMA²) noise."""
    which = torch.multinomial(WEIGHTS, n, replacement=True)
    return CENTRES[which] + SIGMA * torch.randn(n, 2)
''',
    "line": '''
def sample_data(n):
    """n points (n, 2) on the segment from (-2, -1) to (2, 1), plus a little noise."""
    t = 2 * torch.rand(n) - 1
    return torch.stack([2 * t, t], dim=1) + 0.02 * torch.randn(n, 2)
''',
    "spiral": '''
def sample_data(n):
    """n points (n, 2) on 1.5 turns of the spiral r = t, scaled to about [-2, 2]."""
    t = torch.sqrt(torch.rand(n)) * 3 * math.pi + 0.5 * math.pi
    xy = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
    return xy / (3.5 * math.pi) * 2.0 + 0.03 * torch.randn(n, 2)
''',
    "moons": '''
def sample_data(n):
    """n points (n, 2) as scikit-learn's make_moons(noise=0.05), centred, times 1.6."""
    t = math.pi * torch.rand(n)
    upper = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    lower = 1 - upper - torch.tensor([0.0, 0.5])
    xy = torch.where(torch.rand(n, 1) < 0.5, upper, lower)
    xy = xy + 0.05 * torch.randn(n, 2)
    return (xy - torch.tensor([0.5, 0.25])) * 1.6
''',
    "circles": '''
def sample_data(n):
    """n points (n, 2): scikit-learn's make_circles(noise=0.03, factor=0.5) × 2."""
    t = 2 * math.pi * torch.rand(n)
    radius = torch.where(torch.rand(n, 1) < 0.5, 1.0, 0.5)
    xy = radius * torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    return (xy + 0.03 * torch.randn(n, 2)) * 2.0
''',
    "swissroll": '''
def sample_data(n):
    """n points (n, 2): scikit-learn's make_swiss_roll(noise=0.25), x-z plane, / 6."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n))
    xz = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
    return (xz + 0.25 * torch.randn(n, 2)) / 6.0
''',
}

# --- the noise z and the networks' activations --------------------------------------------------------------

NOISE = {  # name -> (what z is, in words; the expression that draws n of them)
    "gaussian": ("z ~ N(0, I)", "torch.randn(n, NOISE_DIM)"),
    "uniform": ("z uniform on [-1, 1]^NOISE_DIM", "torch.rand(n, NOISE_DIM) * 2 - 1"),
}

SAMPLE_NOISE = '''
def sample_noise(n):
    """G's input: {what}."""
    return {code}
'''

ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.2)",
    "tanh": "nn.Tanh()",
    "elu": "nn.ELU()",
    "gelu": "nn.GELU()",
    "silu": "nn.SiLU()",
}

MINIBATCH_STDDEV = '''
class MinibatchStddev(nn.Module):
    """Appends one feature: the batch's mean standard deviation (ProGAN), so that D
    sees a collapsed G."""

    def forward(self, h):
        spread = torch.sqrt(h.var(0, unbiased=False) + 1e-8).mean()
        return torch.cat([h, spread.expand(len(h), 1)], dim=1)
'''

# --- the losses: name -> (d_loss, g_loss); their titles and flags come from ganviz's registry ----------------

OUTPUTS = {"probability": "a logit: D(x) = sigmoid(logit)", "score": "a score", "critic": "a critic value"}
REAL_LABEL = "{t}"  # in a piece: the label of real data, 1 or 1 - LABEL_SMOOTHING

BCE_D = '''
def d_loss(d_real, d_fake):
    """D minimises -log D(x) - log(1 - D(G(z)))."""
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
'''
BCE_D_SMOOTHED = '''
def d_loss(d_real, d_fake):
    """D minimises -[t log D(x) + (1 - t) log(1 - D(x))] - log(1 - D(G(z)))."""
    t = 1 - LABEL_SMOOTHING  # one-sided label smoothing: the label of real data
    real = t * F.softplus(-d_real) + (1 - t) * F.softplus(d_real)
    return real.mean() + F.softplus(d_fake).mean()
'''
WASSERSTEIN_D = '''
def d_loss(d_real, d_fake):
    """The critic maximises E[f(x)] - E[f(G(z))], an estimate of W1."""
    return d_fake.mean() - d_real.mean()
'''
CRITIC_G = '''
def g_loss(d_fake):
    """G minimises -E[f(G(z))]."""
    return -d_fake.mean()
'''
LOSSES = {
    "minimax": (
        BCE_D,
        '''
def g_loss(d_fake):
    """G minimises log(1 - D(G(z))): the original, saturating objective."""
    return -F.softplus(d_fake).mean()
''',
    ),
    "nonsaturating": (
        BCE_D,
        '''
def g_loss(d_fake):
    """G minimises -log D(G(z)): a strong gradient where D rejects the fakes."""
    return F.softplus(-d_fake).mean()
''',
    ),
    "least-squares": (
        '''
def d_loss(d_real, d_fake):
    """D minimises ½ E[(D(x) - {t})²] + ½ E[D(G(z))²]."""
    real = 0.5 * ((d_real - {t}) ** 2).mean()
    return real + 0.5 * (d_fake**2).mean()
''',
        '''
def g_loss(d_fake):
    """G minimises ½ E[(D(G(z)) - 1)²]."""
    return 0.5 * ((d_fake - 1) ** 2).mean()
''',
    ),
    "wasserstein": (WASSERSTEIN_D, CRITIC_G),
    "wgan-gp": (WASSERSTEIN_D, CRITIC_G),
    "hinge": (
        '''
def d_loss(d_real, d_fake):
    """D minimises E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]."""
    return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
''',
        CRITIC_G,
    ),
}

# name -> (torch.optim class, its hyperparameters in the file ({W}: D or G), the settings they name)
OPTIMIZERS = {
    "adam": ("Adam", "betas=(BETA1_{W}, BETA2_{W})", ("beta1", "beta2")),
    "sgd": ("SGD", "momentum=MOMENTUM_{W}", ("momentum",)),
    "rmsprop": ("RMSprop", "momentum=MOMENTUM_{W}", ("momentum",)),
}

# --- the tricks ----------------------------------------------------------------------------------------------

R1 = '''
def r1_penalty(d_real, real):
    """E‖∇D(x)‖² at the real points (Mescheder et al. 2018)."""
    (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
    return grad.pow(2).sum(1).mean()
'''
GRADIENT_PENALTY = '''
def gradient_penalty(D, real, fake):
    """E[(‖∇D(x̂)‖ - 1)²] at x̂ = εx + (1 - ε)G(z), ε ~ U[0, 1] (Gulrajani et al.)."""
    eps = torch.rand(len(real), 1)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_()
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()
'''
INSTANCE_NOISE = '''
def instance_noise(x, step):
    """x plus N(0, std²) noise on D's inputs: std INSTANCE_NOISE."""
    return x + INSTANCE_NOISE * torch.randn_like(x)
'''
ANNEALED_INSTANCE_NOISE = '''
def instance_noise(x, step):
    """x plus N(0, std²) noise on D's inputs: std INSTANCE_NOISE, decaying linearly
    to 0 over INSTANCE_NOISE_ANNEAL iterations."""
    std = INSTANCE_NOISE * max(0.0, 1 - step / INSTANCE_NOISE_ANNEAL)
    return x + std * torch.randn_like(x)
'''
EXTRA_G_LOSSES = {  # name -> (the function's name in the file, its code)
    "feature-matching": (
        "feature_matching",
        '''
def feature_matching(D, fake, real):
    """Match D's mean penultimate features on real data (Salimans et al. 2016)."""
    features = D[:-2]  # D without its last layer (and the flatten)
    with torch.no_grad():
        target = features(real).mean(0)
    return (features(fake).mean(0) - target).pow(2).sum()
''',
    ),
    "moment-matching": (
        "moment_matching",
        '''
def moment_matching(D, fake, real):
    """Match the data's mean and covariance (D plays no part)."""
    mean_gap = (fake.mean(0) - real.mean(0)).pow(2).sum()
    cov_gap = (torch.cov(fake.T) - torch.cov(real.T)).pow(2).sum()
    return mean_gap + cov_gap
''',
    ),
}
EMA = '''
@torch.no_grad()
def update_ema(G_ema, G, updates):
    """G_ema's weights follow G's; the decay warms up (as TensorFlow's moving averages)
    so that the average does not cling to the random start."""
    decay = min(EMA, (1 + updates) / (10 + updates))
    for p_ema, p in zip(G_ema.parameters(), G.parameters(), strict=True):
        p_ema.lerp_(p, 1 - decay)
    # batch norm's running statistics and spectral norm's vectors are copied
    for b_ema, b in zip(G_ema.buffers(), G.buffers(), strict=True):
        b_ema.copy_(b)
'''

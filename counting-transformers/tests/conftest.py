import torch

pytest_plugins = ["polymath.foundation.testing"]

# The models under test are tiny: one thread avoids oversubscribing a shared 2-core machine.
torch.set_num_threads(1)

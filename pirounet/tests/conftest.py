import torch

# The models under test are small: one thread avoids oversubscribing a shared 2-core machine.
torch.set_num_threads(1)

"""Data: seeded simulators, readers of the published formats, and the LightningDataModule."""

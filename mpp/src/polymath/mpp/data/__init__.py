"""Data: simulators, the published HDF5 layouts, windows, the multi-dataset sampler, the datamodule."""

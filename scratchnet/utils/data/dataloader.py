"""``torch.utils.data.dataloader``: ``DataLoader`` and its helpers from ``scratchnet.data`` (the same
objects)."""

from scratchnet.data.dataloader import DataLoader, default_collate, default_convert
from scratchnet.data.workers import get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

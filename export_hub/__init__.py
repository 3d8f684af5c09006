"""Export Hub: Daejeon companies' products on Amazon and eBay under a shared
regional brand, and video export consultations with the agency's overseas
offices."""

__version__ = "0.1.0"

"""The local AWS emulator: moto plus the fidelity fixes Flightdeck relies on (never imported by the product)."""

// KilnPasses placeholder

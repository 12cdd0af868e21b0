// KilnZoo placeholder

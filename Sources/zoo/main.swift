print("zoo: placeholder")

from support.offline import offline_images  # noqa: F401  (the fixture, for the image data tests)

"""The offline demo garage: fictional cars drawn with Pillow; `garage.build` writes the catalog.

designs (makes and models) -> geometry (body, camera) -> paint, shapes, front, wheels, details
-> car (one car) -> scene (backgrounds) -> render (a photo) -> build (the catalog).
"""

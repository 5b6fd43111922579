+ recon_maya 0.1.0 .
MAYA_SHELF_PATH +:= shelves

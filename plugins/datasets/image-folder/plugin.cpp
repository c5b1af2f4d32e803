#include <gear/plugin.h>

#include "image_folder.h"

GEAR_PLUGIN("gear-image-folder", "0.2.0", "Any folder of class sub-folders of JPEG or PNG images") {
  r.add_dataset<gear::plugins::datasets::ImageFolder>(
      "image-folder",
      "root/<class>/<image> (or train/ and test/ or val/ under root), JPEG or PNG: decoded once, "
      "cached on disk, optionally resized; normalisation computed from the training images");
}

#include <gear/plugin.h>

#include "image_folder.h"

GEAR_PLUGIN("gear-image-folder", "0.1.0", "Any folder of class subfolders of JPEG images") {
  r.add_dataset<gear::ImageFolder>(
      "image-folder",
      "root/<class>/<image>.jpg (or train/ and test/ under root): decoded once, cached on disk, "
      "normalisation computed from the training images");
}

#include "cifar_classes.h"

namespace gear::plugins::datasets {

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

const std::vector<std::string>& cifar100_fine_names() {
  static const std::vector<std::string> names = {
      "apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
      "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
      "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
      "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
      "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
      "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
      "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
      "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
      "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
      "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
      "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
      "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
      "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
      "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
      "table",       "tank",          "telephone", "television", "tiger",        "tractor",
      "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
      "willow_tree", "wolf",          "woman",     "worm"};
  return names;
}

const std::vector<ClassGroup>& cifar100_superclasses() {
  static const std::vector<ClassGroup> groups = {
      {"aquatic_mammals", {"beaver", "dolphin", "otter", "seal", "whale"}},
      {"fish", {"aquarium_fish", "flatfish", "ray", "shark", "trout"}},
      {"flowers", {"orchid", "poppy", "rose", "sunflower", "tulip"}},
      {"food_containers", {"bottle", "bowl", "can", "cup", "plate"}},
      {"fruit_and_vegetables", {"apple", "mushroom", "orange", "pear", "sweet_pepper"}},
      {"household_electrical_devices", {"clock", "keyboard", "lamp", "telephone", "television"}},
      {"household_furniture", {"bed", "chair", "couch", "table", "wardrobe"}},
      {"insects", {"bee", "beetle", "butterfly", "caterpillar", "cockroach"}},
      {"large_carnivores", {"bear", "leopard", "lion", "tiger", "wolf"}},
      {"large_man-made_outdoor_things", {"bridge", "castle", "house", "road", "skyscraper"}},
      {"large_natural_outdoor_scenes", {"cloud", "forest", "mountain", "plain", "sea"}},
      {"large_omnivores_and_herbivores", {"camel", "cattle", "chimpanzee", "elephant", "kangaroo"}},
      {"medium_mammals", {"fox", "porcupine", "possum", "raccoon", "skunk"}},
      {"non-insect_invertebrates", {"crab", "lobster", "snail", "spider", "worm"}},
      {"people", {"baby", "boy", "girl", "man", "woman"}},
      {"reptiles", {"crocodile", "dinosaur", "lizard", "snake", "turtle"}},
      {"small_mammals", {"hamster", "mouse", "rabbit", "shrew", "squirrel"}},
      {"trees", {"maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"}},
      {"vehicles_1", {"bicycle", "bus", "motorcycle", "pickup_truck", "train"}},
      {"vehicles_2", {"lawn_mower", "rocket", "streetcar", "tank", "tractor"}},
  };
  return groups;
}

}  // namespace gear::plugins::datasets

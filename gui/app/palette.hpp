// Light and dark palettes (Fusion style, so they look the same on every desktop).
#pragma once

namespace boxlab::gui {

void applyPalette(bool dark);

}  // namespace boxlab::gui

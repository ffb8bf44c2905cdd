// SPDX-License-Identifier: MIT
// The compiled translations (voxtrack_*.qm) are embedded into this library under :/i18n;
// voxtrack::installTranslators() in core loads them.

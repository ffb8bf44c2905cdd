// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include <memory>

namespace Ui {
class SimulatorPage;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class SimulatorPage : public QWidget {
    Q_OBJECT

public:
    explicit SimulatorPage(QWidget* parent = nullptr);
    ~SimulatorPage() override;

private:
    std::unique_ptr<Ui::SimulatorPage> ui;
};

} // namespace voxtrack::gui

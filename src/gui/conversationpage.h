// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include <memory>

namespace Ui {
class ConversationPage;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class ConversationPage : public QWidget {
    Q_OBJECT

public:
    explicit ConversationPage(QWidget* parent = nullptr);
    ~ConversationPage() override;

private:
    std::unique_ptr<Ui::ConversationPage> ui;
};

} // namespace voxtrack::gui

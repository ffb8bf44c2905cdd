// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"

#include <QWidget>

#include <memory>
namespace voxtrack::store {
class ChangeFeed;
}

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
    void setDatabase(const voxtrack::DatabaseUrl& url, store::ChangeFeed* feed);
    void setSessionId(const QString& sessionId);
    [[nodiscard]] QString sessionId() const { return {}; }

Q_SIGNALS:
    void statusMessage(const QString& message);

private:
    std::unique_ptr<Ui::ConversationPage> ui;
};

} // namespace voxtrack::gui

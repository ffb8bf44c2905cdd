// SPDX-License-Identifier: MIT
#include "gui/bubbledelegate.h"

#include "core/role.h"
#include "gui/severitystyle.h"
#include "models/messagesmodel.h"

#include <QAbstractItemView>
#include <QDateTime>
#include <QHelpEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTextLayout>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace voxtrack::gui {

using models::MessagesModel;

namespace {

constexpr int sideMargin = 14; ///< between the view's edges and the bubbles
constexpr int rowGap = 5; ///< above and below each row
constexpr int paddingX = 12; ///< inside a bubble
constexpr int paddingY = 7;
constexpr int radius = 12;
constexpr int labelGap = 2; ///< label → bubble
constexpr int underGap = 2; ///< bubble → time
constexpr int minBubbleWidth = 56;

QColor mix(const QColor& a, const QColor& b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t), float(a.greenF() * (1 - t) + b.greenF() * t),
        float(a.blueF() * (1 - t) + b.blueF() * t));
}

bool isDark(const QPalette& palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

QColor errorColor(const QPalette& palette)
{
    return severityColor(store::CheckResult::Status::Failed, store::Severity::Error, palette);
}

/// The agent's accent: the palette's highlight turned towards green, so that the two sides of a
/// conversation differ in hue whatever the theme.
QColor agentAccent(const QPalette& palette)
{
    const QColor highlight = palette.color(QPalette::Highlight);
    float hue = 0, saturation = 0, lightness = 0, alpha = 0;
    highlight.getHslF(&hue, &saturation, &lightness, &alpha);
    if (hue < 0)
        hue = 0.58f; // a grey highlight: start from blue
    hue = std::fmod(hue - 60.0f / 360.0f + 1.0f, 1.0f);
    return QColor::fromHslF(hue, std::max(saturation, 0.45f), std::clamp(lightness, 0.35f, 0.6f));
}

QFont smallerFont(const QFont& font)
{
    QFont small = font;
    if (font.pointSizeF() > 0)
        small.setPointSizeF(font.pointSizeF() * 0.85);
    else
        small.setPixelSize(std::max(8, int(font.pixelSize() * 0.85)));
    return small;
}

/// The width the rows are laid out for: the view's viewport, so that size hints and painting agree.
int rowWidth(const QStyleOptionViewItem& option)
{
    if (const auto* view = qobject_cast<const QAbstractItemView*>(option.widget))
        return std::max(120, view->viewport()->width());
    return std::max(120, option.rect.width());
}

/// Lays text out in lines of at most width pixels (words wrap; a word longer than a line breaks).
QSizeF wrapText(QTextLayout& layout, qreal width, Qt::Alignment alignment)
{
    QTextOption textOption(alignment);
    textOption.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(textOption);
    layout.beginLayout();
    qreal y = 0;
    qreal widest = 0;
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        line.setPosition(QPointF(0, y));
        y += line.height();
        widest = std::max(widest, line.naturalTextWidth());
    }
    layout.endLayout();
    return {widest, y};
}

QString bubbleText(const QModelIndex& index)
{
    QString text = index.data(MessagesModel::ContentRole).toString();
    text.replace(u'\n', QChar::LineSeparator);
    return text;
}

} // namespace

struct BubbleDelegate::Layout {
    Kind kind = Kind::Agent;
    int width = 0;
    int height = 0;
    Qt::Alignment side = Qt::AlignLeft;
    QFont textFont;
    QFont smallFont;
    QFont labelFont;
    QString label;
    QRect labelRect;
    QRect bubbleRect;
    QRectF textRect;
    QString text;
    qreal textWidth = 0;
    QString time;
    QRect timeRect;
    QString detail;
    QRect detailRect;
};

BubbleDelegate::BubbleDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
    , m_userLabel(tr("User"))
{
}

BubbleDelegate::Kind BubbleDelegate::kindOf(const QModelIndex& index)
{
    if (index.data(ErrorRole).toBool())
        return Kind::Error;
    bool known = false;
    const int role = index.data(MessagesModel::RoleRole).toInt(&known);
    if (!known || role < 0)
        return Kind::InvalidRole;
    switch (voxtrack::Role(role)) {
    case voxtrack::Role::User:
        return Kind::User;
    case voxtrack::Role::Agent:
        return Kind::Agent;
    case voxtrack::Role::System:
        return Kind::System;
    }
    return Kind::InvalidRole;
}

QString BubbleDelegate::label(const QModelIndex& index) const
{
    switch (kindOf(index)) {
    case Kind::User:
        return m_userLabel;
    case Kind::Agent:
        return tr("Agent");
    case Kind::System:
        return tr("System");
    case Kind::Error:
        return tr("Error");
    case Kind::InvalidRole:
        break;
    }
    const QString stored = index.data(MessagesModel::RoleNameRole).toString();
    return stored.isEmpty() ? tr("(no role)") : stored;
}

QColor BubbleDelegate::bubbleColor(Kind kind, const QPalette& palette)
{
    const QColor base = palette.color(QPalette::Base);
    const bool dark = isDark(palette);
    switch (kind) {
    case Kind::User:
        return mix(base, palette.color(QPalette::Highlight), dark ? 0.42 : 0.2);
    case Kind::Agent:
        return mix(base, agentAccent(palette), dark ? 0.3 : 0.13);
    case Kind::System:
        return mix(base, palette.color(QPalette::Text), dark ? 0.07 : 0.04);
    case Kind::InvalidRole:
    case Kind::Error:
        return mix(base, errorColor(palette), dark ? 0.28 : 0.12);
    }
    return base;
}

QColor BubbleDelegate::labelColor(Kind kind, const QPalette& palette)
{
    const QColor text = palette.color(QPalette::Text);
    const bool dark = isDark(palette);
    switch (kind) {
    case Kind::User:
        return dark ? mix(palette.color(QPalette::Highlight), text, 0.45)
                    : palette.color(QPalette::Highlight).darker(115);
    case Kind::Agent:
        return dark ? mix(agentAccent(palette), text, 0.4) : agentAccent(palette).darker(135);
    case Kind::System:
        return mix(text, palette.color(QPalette::Base), 0.45);
    case Kind::InvalidRole:
    case Kind::Error:
        return errorColor(palette);
    }
    return text;
}

QString BubbleDelegate::roleProblem(const QModelIndex& index)
{
    if (kindOf(index) != Kind::InvalidRole)
        return {};
    const QString stored = index.data(MessagesModel::RoleNameRole).toString();
    if (stored.compare(QStringLiteral("assistant"), Qt::CaseInsensitive) == 0)
        return tr("The database does not allow the role \"%1\": the agent's role is \"agent\".").arg(stored);
    return tr("The database does not allow the role \"%1\": the allowed roles are %2.")
        .arg(stored, roleNames().join(QStringLiteral(", ")));
}

BubbleDelegate::Layout BubbleDelegate::layout(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    Layout out;
    out.kind = kindOf(index);
    out.width = rowWidth(option);
    out.textFont = option.font;
    out.smallFont = smallerFont(option.font);
    out.labelFont = out.smallFont;
    out.labelFont.setWeight(QFont::DemiBold);
    if (out.kind == Kind::System)
        out.textFont.setItalic(true);

    const bool centred = out.kind == Kind::System || out.kind == Kind::Error;
    out.side = out.kind == Kind::User ? Qt::AlignRight : centred ? Qt::AlignHCenter : Qt::AlignLeft;

    const int inner = out.width - 2 * sideMargin;
    const int maxBubble = std::clamp(int(out.width * (centred ? 0.8 : 0.72)), std::min(inner, 260), inner);
    out.text = bubbleText(index);
    QTextLayout text(out.text, out.textFont);
    const QSizeF textSize
        = wrapText(text, std::max(40, maxBubble - 2 * paddingX), centred ? Qt::AlignHCenter : Qt::AlignLeft);
    out.textWidth = std::max(40, maxBubble - 2 * paddingX);
    const int bubbleWidth = std::clamp(int(std::ceil(textSize.width())) + 2 * paddingX, minBubbleWidth, maxBubble);
    const int bubbleHeight = int(std::ceil(textSize.height())) + 2 * paddingY;

    const QFontMetrics small(out.smallFont);
    const QFontMetrics labelMetrics(out.labelFont);
    int y = rowGap;
    out.label = label(index);
    out.labelRect = QRect(sideMargin, y, inner, labelMetrics.height());
    y += labelMetrics.height() + labelGap;

    const int x = out.side == Qt::AlignRight ? out.width - sideMargin - bubbleWidth
        : out.side == Qt::AlignLeft          ? sideMargin
                                             : (out.width - bubbleWidth) / 2;
    out.bubbleRect = QRect(x, y, bubbleWidth, bubbleHeight);
    // The text is laid out as wide as the bubble allows: centre it in the bubble it got.
    const qreal textLeft = centred ? x + (bubbleWidth - out.textWidth) / 2.0 : x + paddingX;
    out.textRect = QRectF(textLeft, y + paddingY, out.textWidth, textSize.height());
    y += bubbleHeight + underGap;

    const QDateTime createdAt = index.data(MessagesModel::CreatedAtRole).toDateTime();
    if (createdAt.isValid()) {
        out.time = createdAt.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
        out.timeRect = QRect(sideMargin, y, inner, small.height());
        y += small.height();
    }
    out.detail = index.data(DetailRole).toString();
    if (!out.detail.isEmpty()) {
        out.detailRect = QRect(sideMargin, y, inner, small.height());
        y += small.height();
    }
    out.height = y + rowGap;
    return out;
}

QSize BubbleDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const Layout bubble = layout(opt, index);
    return {bubble.width, bubble.height};
}

void BubbleDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const Layout bubble = layout(opt, index);
    const QPalette& palette = opt.palette;
    const QColor muted = mix(palette.color(QPalette::Text), palette.color(QPalette::Base), 0.45);

    painter->save();
    painter->translate(opt.rect.topLeft());
    painter->setRenderHint(QPainter::Antialiasing);

    // The bubble, outlined when selected (copy targets it) or when it arrived live.
    QPainterPath path;
    path.addRoundedRect(QRectF(bubble.bubbleRect).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius);
    QPen outline(Qt::NoPen);
    if (opt.state & QStyle::State_Selected)
        outline = QPen(palette.color(QPalette::Highlight), 2);
    else if (bubble.kind == Kind::InvalidRole || bubble.kind == Kind::Error)
        outline = QPen(errorColor(palette), 1);
    else if (index.data(MessagesModel::NewRole).toBool())
        outline = QPen(labelColor(bubble.kind, palette), 1);
    painter->setPen(outline);
    painter->setBrush(bubbleColor(bubble.kind, palette));
    painter->drawPath(path);

    // The label over the bubble, the time and the detail under it, on the bubble's side.
    const Qt::Alignment align = bubble.side | Qt::AlignVCenter;
    painter->setFont(bubble.labelFont);
    painter->setPen(labelColor(bubble.kind, palette));
    painter->drawText(bubble.labelRect, align,
        QFontMetrics(bubble.labelFont).elidedText(bubble.label, Qt::ElideRight, bubble.labelRect.width()));
    painter->setFont(bubble.smallFont);
    painter->setPen(muted);
    const QFontMetrics small(bubble.smallFont);
    if (!bubble.time.isEmpty())
        painter->drawText(bubble.timeRect, align, bubble.time);
    if (!bubble.detail.isEmpty()) {
        painter->drawText(
            bubble.detailRect, align, small.elidedText(bubble.detail, Qt::ElideRight, bubble.detailRect.width()));
    }

    // The text, laid out again exactly as for the size.
    const bool centred = bubble.kind == Kind::System || bubble.kind == Kind::Error;
    QTextLayout text(bubble.text, bubble.textFont);
    wrapText(text, bubble.textWidth, centred ? Qt::AlignHCenter : Qt::AlignLeft);
    painter->setPen(bubble.kind == Kind::System ? muted : palette.color(QPalette::Text));
    text.draw(painter, bubble.textRect.topLeft());
    painter->restore();
}

bool BubbleDelegate::helpEvent(
    QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option, const QModelIndex& index)
{
    if (event->type() != QEvent::ToolTip || !index.isValid())
        return QStyledItemDelegate::helpEvent(event, view, option, index);
    QString tip = roleProblem(index);
    if (tip.isEmpty() && kindOf(index) != Kind::Error) {
        const QDateTime createdAt = index.data(MessagesModel::CreatedAtRole).toDateTime();
        if (createdAt.isValid())
            tip = createdAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    }
    if (tip.isEmpty()) {
        QToolTip::hideText();
        return true;
    }
    QToolTip::showText(event->globalPos(), tip, view);
    return true;
}

} // namespace voxtrack::gui

// A titled horizontal row of poster cards; Left/Right move along it.
import QtQuick
import "../Style"

FocusScope {
    id: row
    required property string shelfKey
    required property string title
    required property bool isDemo
    required property var cards
    // Where this row's focus was last time (Home remembers it per shelf key, so a row
    // rebuilt after scrolling out of view or after a reload comes back at the same card).
    property int savedIndex: 0
    signal activated(int mediaId, string kind)
    signal remember(string shelfKey, int index)
    // The films the viewer is looking at (warm start): the focused card, its neighbours
    // and the other cards in view. At most ~10 a second during key repeat (the timer);
    // only ids cross to Python, the preload works off the GUI thread's frame.
    signal viewport(int focusedId, var adjacentIds, var visibleIds)

    function filmIdAt(index) {
        var card = list.itemAtIndex(index)
        return card && card.kind === "movie" ? card.mediaId : 0
    }
    function reportViewport() {
        if (!list.activeFocus || list.count === 0 || list.currentIndex < 0)
            return
        var current = list.currentIndex
        var adjacent = [filmIdAt(current - 1), filmIdAt(current + 1)].filter(id => id > 0)
        var visible = []
        // Bounded: a row shows well under 16 cards; delegates outside it may not exist.
        for (var i = Math.max(0, current - 16); i < Math.min(list.count, current + 17); ++i) {
            var card = list.itemAtIndex(i)
            if (card && card.kind === "movie" && i !== current
                    && card.x + card.width > list.contentX && card.x < list.contentX + list.width)
                visible.push(card.mediaId)
        }
        row.viewport(filmIdAt(current), adjacent, visible)
    }
    function scheduleViewport() {
        if (!viewportTimer.running)
            viewportTimer.start()
    }

    Timer {
        id: viewportTimer
        interval: 100
        onTriggered: row.reportViewport()
    }

    objectName: "homeShelf_" + shelfKey
    height: header.height + Theme.px(16) + list.height

    Row {
        id: header
        // Line up with the first card (the list has a left margin for the focus scale-up).
        x: Theme.px(24)
        spacing: Theme.px(16)
        Text {
            text: row.title
            color: row.activeFocus ? Theme.text : Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
            font.bold: true
        }
        DemoBadge {
            visible: row.isDemo
            anchors.verticalCenter: parent.verticalCenter
        }
    }

    ListView {
        id: list
        objectName: "homeShelfList_" + row.shelfKey
        anchors.top: header.bottom
        anchors.topMargin: Theme.px(16)
        width: parent.width
        // Room for the focused card's scale-up and outline without clipping.
        height: Math.ceil(Theme.cardHeight * Theme.focusScale) + 2 * Theme.focusBorder
        orientation: ListView.Horizontal
        spacing: Theme.px(28)
        focus: true
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        preferredHighlightBegin: Theme.px(24)
        preferredHighlightEnd: width - Theme.px(24)
        highlightRangeMode: ListView.ApplyRange
        leftMargin: Theme.px(24)
        rightMargin: Theme.px(24)
        model: row.cards
        onCurrentIndexChanged: { row.remember(row.shelfKey, currentIndex); row.scheduleViewport() }
        onActiveFocusChanged: if (activeFocus) row.scheduleViewport()
        onCountChanged: if (activeFocus) row.scheduleViewport()
        Component.onCompleted: {
            if (row.savedIndex > 0 && row.savedIndex < count) {
                currentIndex = row.savedIndex
                positionViewAtIndex(currentIndex, ListView.Contain)
            }
        }
        delegate: PosterCard {
            shelfKey: row.shelfKey
            focus: ListView.isCurrentItem
            anchors.verticalCenter: parent ? parent.verticalCenter : undefined
            onActivated: (id, kind) => row.activated(id, kind)
        }
    }
}

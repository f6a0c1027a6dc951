// Home: rows of shelves; Up/Down moves between shelves, Left/Right along one, OK opens Details.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: home
    objectName: "homeView"
    property QtObject vm
    // shelf key -> focused index; survives delegates being destroyed and model reloads.
    property var positions: ({})
    signal openItem(string kind, int mediaId)

    Text {
        id: brand
        x: parent.width * 0.05
        y: parent.height * 0.05
        text: "Miauflix"
        objectName: "homeBrand"
        color: Theme.accent
        font.family: Theme.fontFamily
        font.pixelSize: Theme.titleSize
        font.bold: true
    }

    ListView {
        id: shelves
        objectName: "homeShelves"
        anchors.top: brand.bottom
        anchors.topMargin: Theme.px(24)
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        x: parent.width * 0.05 - Theme.px(24)
        width: parent.width * 0.9 + Theme.px(24)
        spacing: Theme.px(40)
        clip: true
        focus: true
        // Keep every row alive: a few shelves only, and each remembers its position.
        cacheBuffer: 100000
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        // The focused shelf snaps to the top: no row is left half cut above it.
        highlightRangeMode: ListView.StrictlyEnforceRange
        preferredHighlightBegin: 0
        preferredHighlightEnd: Theme.px(120)
        model: home.vm ? home.vm.shelves : null
        // A model reset (shelves arrive after the view exists) can leave no current row,
        // and then no card would hold the focus.
        onCountChanged: if (count > 0 && currentIndex < 0) currentIndex = 0
        delegate: ShelfRow {
            width: ListView.view.width
            focus: ListView.isCurrentItem
            savedIndex: home.positions[shelfKey] || 0
            // A series' "Continue watching" card opens its episode; other cards the title.
            onActivated: (id, kind) => {
                if (!(home.vm && home.vm.openEpisodeCard(shelfKey, kind, id)))
                    home.openItem(kind, id)
            }
            onRemember: (key, index) => home.positions[key] = index
            onViewport: (focusedId, adjacentIds, visibleIds) => {
                if (home.vm) home.vm.viewport(focusedId, adjacentIds, visibleIds)
            }
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: Theme.px(24)
        visible: home.vm && (home.vm.loading || home.vm.error !== "")
        Spinner {
            anchors.horizontalCenter: parent.horizontalCenter
            visible: home.vm && home.vm.loading
        }
        Text {
            objectName: "homeError"
            anchors.horizontalCenter: parent.horizontalCenter
            width: home.width * 0.7
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: home.vm ? (home.vm.loading ? "Loading…" : home.vm.error) : ""
            color: home.vm && home.vm.error !== "" ? Theme.error : Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }
}

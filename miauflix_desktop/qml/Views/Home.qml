// Home: rows of shelves; Up/Down moves between shelves, Left/Right along one, OK opens Details.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: home
    objectName: "homeView"
    property QtObject vm
    signal openDetails(int mediaId)

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
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        highlightRangeMode: ListView.ApplyRange
        preferredHighlightBegin: 0
        preferredHighlightEnd: height * 0.8
        model: home.vm ? home.vm.shelves : null
        // A model reset (shelves arrive after the view exists) can leave no current row,
        // and then no card would hold the focus.
        onCountChanged: if (count > 0 && currentIndex < 0) currentIndex = 0
        delegate: ShelfRow {
            width: ListView.view.width
            focus: ListView.isCurrentItem
            onActivated: (id) => home.openDetails(id)
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

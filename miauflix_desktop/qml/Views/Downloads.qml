// Downloads (from the Menu): every title marked "download for later" with a progress
// bar, size, speed/peers/ETA and state. Up/Down move through the rows, OK plays one that
// is downloaded (or far enough along) or retries a failed one, Right reaches the row's
// Remove button, which asks before deleting anything (Keep is focused; Back also keeps).
// Back returns Home.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: downloads
    objectName: "downloadsView"
    property QtObject vm
    readonly property bool confirming: vm !== null && vm.confirming
    // Nothing downloaded yet: the one focusable thing is "Browse films".
    signal browseRequested()

    // The one place focus is decided: the question, else the list, else the empty state.
    function focusContent() {
        if (confirming) keepButton.forceActiveFocus()
        else if (rows.count > 0) rows.forceActiveFocus()
        else browseButton.forceActiveFocus()
    }

    onVisibleChanged: {
        if (vm) vm.active = visible
        if (visible) focusContent()
    }
    onConfirmingChanged: if (visible) focusContent()

    function stateColor(state) {
        switch (state) {
        case "failed": return Theme.error
        case "paused": return Theme.demo
        case "queued": return Theme.textDim
        case "downloading": return Theme.accent
        }
        return "#5fd38d"
    }

    // Column: an empty notice takes no room (Column skips invisible children).
    Column {
        id: header
        x: parent.width * 0.05
        y: parent.height * 0.05
        width: parent.width * 0.9
        spacing: Theme.px(4)
        Text {
            id: heading
            text: "Downloads"
            color: Theme.text
            font.family: Theme.fontFamily
            font.pixelSize: Theme.titleSize
            font.bold: true
        }
        Text {
            id: hint
            text: "OK plays (or retries) · Right, then OK removes · whole films and seasons, within the download cache"
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
        Text {
            id: notice
            objectName: "downloadsNotice"
            width: parent.width
            visible: text !== ""
            text: downloads.vm ? downloads.vm.notice : ""
            color: Theme.text
            wrapMode: Text.Wrap
            font.family: Theme.fontFamily
            font.pixelSize: Theme.smallSize
        }
    }

    ListView {
        id: rows
        objectName: "downloadsList"
        x: parent.width * 0.05
        width: parent.width * 0.9
        anchors.top: header.bottom
        anchors.topMargin: Theme.px(32)
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        clip: true
        focus: true
        spacing: Theme.px(12)
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        highlightRangeMode: ListView.ApplyRange
        preferredHighlightBegin: height * 0.2
        preferredHighlightEnd: height * 0.8
        model: downloads.vm ? downloads.vm.rows : null
        onCountChanged: {
            if (count > 0 && currentIndex < 0) currentIndex = 0
            // Rows arrived (or the last one went): move focus between list and empty state.
            if (downloads.visible && !downloads.confirming
                    && ((count > 0 && browseButton.activeFocus) || count === 0))
                downloads.focusContent()
        }

        delegate: FocusScope {
            id: row
            objectName: "downloadRow_" + index
            required property int index
            required property var model
            width: ListView.view.width
            height: body.height
            focus: ListView.isCurrentItem

            Rectangle {
                id: body
                objectName: "download_" + row.index
                readonly property bool showsFocus: activeFocus
                width: row.width - removeButton.width - Theme.px(24)
                height: column.implicitHeight + Theme.px(28)
                radius: Theme.radius
                focus: true
                color: activeFocus ? Theme.surfaceRaised : Theme.surface
                border.color: activeFocus ? Theme.focusRing : "transparent"
                border.width: Theme.focusBorder
                KeyNavigation.right: removeButton
                Keys.onReturnPressed: downloads.vm.play(row.index)
                Keys.onEnterPressed: downloads.vm.play(row.index)

                Column {
                    id: column
                    x: Theme.px(24)
                    y: Theme.px(14)
                    width: body.width - Theme.px(48)
                    spacing: Theme.px(8)
                    Row {
                        width: parent.width
                        spacing: Theme.px(24)
                        Text {
                            id: titleText
                            width: Math.min(implicitWidth, parent.width * 0.6)
                            text: row.model.title
                            color: Theme.text
                            elide: Text.ElideRight
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.bodySize
                            font.bold: true
                        }
                        Text {
                            anchors.baseline: titleText.baseline
                            text: row.model.stateText + (row.model.state === "done" ? ""
                                  : "  " + row.model.percentText)
                            color: downloads.stateColor(row.model.state)
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.smallSize
                            font.bold: true
                        }
                        Text {
                            anchors.baseline: titleText.baseline
                            visible: row.model.canPlay
                            text: "▶ OK to play"
                            color: body.activeFocus ? Theme.text : Theme.textDim
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.smallSize
                        }
                    }
                    // Progress bar: the downloaded fraction of the whole title.
                    Rectangle {
                        objectName: "downloadProgress_" + row.index
                        width: parent.width
                        height: Theme.px(10)
                        radius: height / 2
                        color: Theme.background
                        Rectangle {
                            width: parent.width * Math.max(0, Math.min(1, row.model.fraction))
                            height: parent.height
                            radius: parent.radius
                            color: downloads.stateColor(row.model.state)
                        }
                    }
                    Row {
                        spacing: Theme.px(32)
                        Text {
                            text: row.model.sizeText
                            color: Theme.textDim
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.smallSize
                        }
                        Text {
                            visible: text !== ""
                            text: row.model.speedText
                            color: Theme.textDim
                            font.family: Theme.fontFamily
                            font.pixelSize: Theme.smallSize
                        }
                    }
                    Text {
                        width: parent.width
                        visible: row.model.error !== ""
                        text: row.model.error
                        color: row.model.state === "failed" ? Theme.error : Theme.demo
                        wrapMode: Text.Wrap
                        font.family: Theme.fontFamily
                        font.pixelSize: Theme.smallSize
                    }
                }
                MouseArea {
                    anchors.fill: parent
                    onClicked: {
                        rows.currentIndex = row.index
                        body.forceActiveFocus()
                        downloads.vm.play(row.index)
                    }
                }
            }
            FocusButton {
                id: removeButton
                objectName: "downloadRemove_" + row.index
                anchors.right: parent.right
                anchors.verticalCenter: body.verticalCenter
                text: "Remove"
                KeyNavigation.left: body
                onActivated: downloads.vm.askRemove(row.index)
            }
        }
    }

    Column {
        anchors.centerIn: parent
        visible: rows.count === 0
        spacing: Theme.px(40)
        Text {
            objectName: "downloadsEmpty"
            width: downloads.width * 0.7
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: "Nothing downloaded yet. Choose Download on a film's page to keep it for "
                  + "watching offline."
            color: Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
        FocusButton {
            id: browseButton
            objectName: "downloadsBrowseButton"
            anchors.horizontalCenter: parent.horizontalCenter
            text: "Browse films"
            onActivated: downloads.browseRequested()
        }
    }

    // "Remove …?" — Keep is focused, so a stray OK never deletes anything.
    Rectangle {
        anchors.fill: parent
        visible: downloads.confirming
        color: "#cc000000"
        MouseArea { anchors.fill: parent }
        FocusScope {
            id: confirmPanel
            objectName: "downloadsConfirm"
            anchors.centerIn: parent
            width: confirmColumn.implicitWidth + Theme.px(96)
            height: confirmColumn.implicitHeight + Theme.px(72)
            Keys.onPressed: (event) => {
                if (event.key === Qt.Key_Escape || event.key === Qt.Key_Back
                        || event.key === Qt.Key_Backspace) {
                    downloads.vm.cancelRemove(); event.accepted = true
                }
            }
            Rectangle {
                anchors.fill: parent
                radius: Theme.radius
                color: Theme.surfaceRaised
            }
            Column {
                id: confirmColumn
                anchors.centerIn: parent
                spacing: Theme.px(32)
                Text {
                    objectName: "downloadsConfirmText"
                    anchors.horizontalCenter: parent.horizontalCenter
                    text: downloads.vm ? "Remove “" + downloads.vm.confirmTitle
                                         + "” and delete its downloaded data?" : ""
                    color: Theme.text
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.bodySize
                    font.bold: true
                }
                Row {
                    anchors.horizontalCenter: parent.horizontalCenter
                    spacing: Theme.px(32)
                    FocusButton {
                        id: keepButton
                        objectName: "downloadsKeepButton"
                        text: "Keep"
                        KeyNavigation.right: removeConfirmButton
                        onActivated: downloads.vm.cancelRemove()
                    }
                    FocusButton {
                        id: removeConfirmButton
                        objectName: "downloadsRemoveButton"
                        text: "Remove"
                        KeyNavigation.left: keepButton
                        onActivated: downloads.vm.confirmRemove()
                    }
                }
            }
        }
    }
}

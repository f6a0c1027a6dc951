// Details: backdrop, poster, title, year/runtime/rating, genres, tagline, overview and a
// focused Play button (Play/Pause on the remote plays too).
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: details
    objectName: "detailsView"
    property QtObject vm

    Keys.onPressed: (event) => {
        if (event.key === Qt.Key_MediaTogglePlayPause || event.key === Qt.Key_MediaPlay) {
            details.vm.play(); event.accepted = true
        }
    }

    Image {
        anchors.fill: parent
        source: details.vm ? details.vm.backdropUrl : ""
        fillMode: Image.PreserveAspectCrop
        asynchronous: true
        opacity: 0.35
        sourceSize.width: 1280
        sourceSize.height: 720
    }
    // Darken towards the text so it stays readable over any backdrop.
    Rectangle {
        anchors.fill: parent
        gradient: Gradient {
            orientation: Gradient.Horizontal
            GradientStop { position: 0.0; color: "#f00d0e12" }
            GradientStop { position: 0.7; color: "#a00d0e12" }
            GradientStop { position: 1.0; color: "#400d0e12" }
        }
    }

    Row {
        id: content
        x: parent.width * 0.05
        y: parent.height * 0.1
        width: parent.width * 0.9
        spacing: Theme.px(56)
        visible: details.vm && details.vm.mediaId !== 0

        Rectangle {
            id: posterFrame
            width: Theme.px(400)
            height: Theme.px(600)
            radius: Theme.radius
            color: Theme.surfaceRaised
            clip: true
            Image {
                id: poster
                anchors.fill: parent
                source: details.vm ? details.vm.posterUrl : ""
                visible: source != "" && status === Image.Ready
                fillMode: Image.PreserveAspectCrop
                asynchronous: true
                sourceSize.width: Theme.px(400)
                sourceSize.height: Theme.px(600)
            }
            Text {
                anchors.fill: parent
                anchors.margins: Theme.px(24)
                visible: !poster.visible
                text: details.vm ? details.vm.title : ""
                color: Theme.text
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
                font.family: Theme.fontFamily
                font.pixelSize: Theme.headingSize
                font.bold: true
            }
        }

        Column {
            width: content.width - posterFrame.width - content.spacing
            spacing: Theme.px(28)
            Text {
                objectName: "detailsTitle"
                width: parent.width
                text: details.vm ? details.vm.title : ""
                color: Theme.text
                wrapMode: Text.Wrap
                font.family: Theme.fontFamily
                font.pixelSize: Theme.titleSize
                font.bold: true
            }
            Row {
                spacing: Theme.px(24)
                Text {
                    objectName: "detailsMeta"
                    text: details.vm ? [details.vm.year, details.vm.runtime, details.vm.rating].filter(s => s !== "").join("   ·   ") : ""
                    color: Theme.textDim
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.bodySize
                }
                DemoBadge {
                    visible: details.vm && details.vm.isDemo
                    anchors.verticalCenter: parent.verticalCenter
                }
            }
            Text {
                objectName: "detailsGenres"
                width: parent.width
                visible: text !== ""
                text: details.vm ? details.vm.genres : ""
                color: Theme.textDim
                elide: Text.ElideRight
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                objectName: "detailsTagline"
                width: parent.width
                visible: text !== ""
                text: details.vm ? details.vm.tagline : ""
                color: Theme.textDim
                wrapMode: Text.Wrap
                font.italic: true
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                width: parent.width
                text: details.vm ? details.vm.overview : ""
                color: Theme.text
                wrapMode: Text.Wrap
                maximumLineCount: 6
                elide: Text.ElideRight
                lineHeight: 1.25
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Item { width: 1; height: Theme.px(16) }
            FocusButton {
                objectName: "detailsPlayButton"
                text: "▶  Play"
                focus: true
                onActivated: details.vm.play()
            }
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: Theme.px(24)
        visible: details.vm && (details.vm.loading || details.vm.error !== "")
        Spinner {
            anchors.horizontalCenter: parent.horizontalCenter
            visible: details.vm && details.vm.loading
        }
        Text {
            objectName: "detailsError"
            anchors.horizontalCenter: parent.horizontalCenter
            text: details.vm ? (details.vm.error !== "" ? details.vm.error + "\nPress Back to return." : "") : ""
            horizontalAlignment: Text.AlignHCenter
            color: Theme.error
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }
}

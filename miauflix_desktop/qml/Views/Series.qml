// Series: backdrop, poster, title, year/rating/genres, overview, and a row of seasons.
// Left/Right move along the seasons; OK opens that season's episodes.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: series
    objectName: "seriesView"
    property QtObject vm

    Image {
        anchors.fill: parent
        source: series.vm ? series.vm.backdropUrl : ""
        fillMode: Image.PreserveAspectCrop
        asynchronous: true
        opacity: 0.3
        sourceSize.width: 1280
        sourceSize.height: 720
    }
    Rectangle {
        anchors.fill: parent
        gradient: Gradient {
            GradientStop { position: 0.0; color: "#a00d0e12" }
            GradientStop { position: 0.6; color: "#e00d0e12" }
            GradientStop { position: 1.0; color: "#ff0d0e12" }
        }
    }

    Row {
        id: info
        x: parent.width * 0.05
        y: parent.height * 0.07
        width: parent.width * 0.9
        spacing: Theme.px(48)
        visible: series.vm && series.vm.showId !== 0

        Rectangle {
            id: posterFrame
            width: Theme.px(260)
            height: Theme.px(390)
            radius: Theme.radius
            color: Theme.surfaceRaised
            clip: true
            Image {
                anchors.fill: parent
                source: series.vm ? series.vm.posterUrl : ""
                fillMode: Image.PreserveAspectCrop
                asynchronous: true
                sourceSize.width: Theme.px(260)
                sourceSize.height: Theme.px(390)
            }
        }
        Column {
            width: info.width - posterFrame.width - info.spacing
            spacing: Theme.px(20)
            Text {
                objectName: "seriesTitle"
                width: parent.width
                text: series.vm ? series.vm.title : ""
                color: Theme.text
                wrapMode: Text.Wrap
                maximumLineCount: 2
                elide: Text.ElideRight
                font.family: Theme.fontFamily
                font.pixelSize: Theme.titleSize
                font.bold: true
            }
            Text {
                width: parent.width
                text: series.vm ? [series.vm.year, series.vm.rating, series.vm.genres].filter(s => s !== "").join("   ·   ") : ""
                color: Theme.textDim
                elide: Text.ElideRight
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                width: parent.width
                visible: text !== ""
                text: series.vm ? series.vm.tagline : ""
                color: Theme.textDim
                font.italic: true
                wrapMode: Text.Wrap
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
            Text {
                width: parent.width
                text: series.vm ? series.vm.overview : ""
                color: Theme.text
                wrapMode: Text.Wrap
                maximumLineCount: 4
                elide: Text.ElideRight
                lineHeight: 1.2
                font.family: Theme.fontFamily
                font.pixelSize: Theme.bodySize
            }
        }
    }

    Text {
        id: seasonsHeading
        x: parent.width * 0.05
        anchors.bottom: seasons.top
        anchors.bottomMargin: Theme.px(12)
        text: "Seasons"
        visible: seasons.count > 0
        color: Theme.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.headingSize
        font.bold: true
    }

    ListView {
        id: seasons
        objectName: "seasonsList"
        x: parent.width * 0.05 - Theme.px(24)
        width: parent.width * 0.9 + Theme.px(48)
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        height: Theme.px(300)
        orientation: ListView.Horizontal
        spacing: Theme.px(28)
        leftMargin: Theme.px(24)
        rightMargin: Theme.px(24)
        clip: true
        focus: true
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        highlightRangeMode: ListView.ApplyRange
        preferredHighlightBegin: Theme.px(24)
        preferredHighlightEnd: width - Theme.px(24)
        model: series.vm ? series.vm.seasons : null
        onCountChanged: if (count > 0 && currentIndex < 0) currentIndex = 0
        delegate: Rectangle {
            id: season
            required property int index
            required property int number
            required property string title
            required property int episodeCount
            required property string posterUrl
            readonly property bool showsFocus: activeFocus
            objectName: "season_" + number
            anchors.verticalCenter: parent ? parent.verticalCenter : undefined
            width: Theme.px(400)
            height: Theme.px(250)
            radius: Theme.radius
            focus: ListView.isCurrentItem
            color: Theme.surfaceRaised
            border.color: activeFocus ? Theme.focusRing : "transparent"
            border.width: Theme.focusBorder
            scale: activeFocus ? Theme.focusScale : 1.0
            z: activeFocus ? 2 : 1
            Behavior on scale { NumberAnimation { duration: Theme.animMs } }
            Keys.onReturnPressed: series.vm.openSeason(index)
            Keys.onEnterPressed: series.vm.openSeason(index)
            Image {
                id: seasonPoster
                x: Theme.focusBorder; y: Theme.focusBorder
                width: Theme.px(150); height: parent.height - 2 * Theme.focusBorder
                source: season.posterUrl
                fillMode: Image.PreserveAspectCrop
                asynchronous: true
                sourceSize.width: Theme.px(150)
                sourceSize.height: Theme.px(240)
            }
            Column {
                anchors.left: seasonPoster.right
                anchors.leftMargin: Theme.px(20)
                anchors.right: parent.right
                anchors.rightMargin: Theme.px(16)
                anchors.verticalCenter: parent.verticalCenter
                spacing: Theme.px(10)
                Text {
                    width: parent.width
                    text: season.title
                    color: Theme.text
                    wrapMode: Text.Wrap
                    maximumLineCount: 2
                    elide: Text.ElideRight
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.bodySize
                    font.bold: true
                }
                Text {
                    text: season.episodeCount === 1 ? "1 episode" : season.episodeCount + " episodes"
                    color: Theme.textDim
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallSize
                }
            }
            MouseArea {
                anchors.fill: parent
                onClicked: { seasons.currentIndex = season.index; season.forceActiveFocus(); series.vm.openSeason(season.index) }
            }
        }
    }

    Column {
        anchors.centerIn: parent
        spacing: Theme.px(24)
        visible: series.vm && (series.vm.loading || series.vm.error !== "")
        Spinner {
            anchors.horizontalCenter: parent.horizontalCenter
            visible: series.vm && series.vm.loading
        }
        Text {
            objectName: "seriesError"
            anchors.horizontalCenter: parent.horizontalCenter
            text: series.vm && series.vm.error !== "" ? series.vm.error + "\nPress Back to return." : ""
            horizontalAlignment: Text.AlignHCenter
            color: Theme.error
            font.family: Theme.fontFamily
            font.pixelSize: Theme.bodySize
        }
    }
}

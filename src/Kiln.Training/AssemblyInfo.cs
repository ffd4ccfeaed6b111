namespace Kiln.Training;
